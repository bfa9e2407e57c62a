/** Colours of the chart for each theme; the UI's CSS variables mirror them. */
export interface Palette {
  background: string; text: string; grid: string; border: string; crosshair: string;
  up: string; down: string; upVolume: string; downVolume: string;
  cone: string; coneBand1: string; coneBand2: string;
  liqLong: string; liqShort: string; support: string; resistance: string;
  basis: string; oi: string; cvd: string; fundingPos: string; fundingNeg: string;
  profile: string; profileBuy: string; entry: string; exit: string; equity: string; drawdown: string;
  /** the second run's equity curve when two saved runs are compared */
  equityB: string;
}

export const DARK: Palette = {
  background: '#0e1117', text: '#c9d1d9', grid: '#1b212b', border: '#2a313c', crosshair: '#6e7681',
  up: '#26a69a', down: '#ef5350', upVolume: 'rgba(38,166,154,0.45)', downVolume: 'rgba(239,83,80,0.45)',
  cone: '#f5c542', coneBand1: 'rgba(245,197,66,0.28)', coneBand2: 'rgba(245,197,66,0.12)',
  liqLong: '255,112,67', liqShort: '66,165,245', support: '#26a69a', resistance: '#ef5350',
  basis: '#ba68c8', oi: '#4fc3f7', cvd: '#ffb74d', fundingPos: 'rgba(38,166,154,0.8)', fundingNeg: 'rgba(239,83,80,0.8)',
  profile: 'rgba(120,144,156,0.22)', profileBuy: 'rgba(38,166,154,0.22)', entry: '#00e676', exit: '#ff1744',
  equity: '#4fc3f7', drawdown: 'rgba(239,83,80,0.5)', equityB: '#ff8a65',
};

export const LIGHT: Palette = {
  background: '#ffffff', text: '#1f2328', grid: '#eef1f4', border: '#d0d7de', crosshair: '#8c959f',
  up: '#089981', down: '#f23645', upVolume: 'rgba(8,153,129,0.4)', downVolume: 'rgba(242,54,69,0.4)',
  cone: '#b7791f', coneBand1: 'rgba(214,158,46,0.30)', coneBand2: 'rgba(214,158,46,0.13)',
  liqLong: '230,81,0', liqShort: '21,101,192', support: '#089981', resistance: '#f23645',
  basis: '#8e24aa', oi: '#0277bd', cvd: '#ef6c00', fundingPos: 'rgba(8,153,129,0.8)', fundingNeg: 'rgba(242,54,69,0.8)',
  profile: 'rgba(96,125,139,0.3)', profileBuy: 'rgba(8,153,129,0.3)', entry: '#00a152', exit: '#d50000',
  equity: '#0277bd', drawdown: 'rgba(242,54,69,0.45)', equityB: '#e65100',
};
