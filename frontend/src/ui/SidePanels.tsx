/**
 * The side column's secondary panels: calibration, the model's reasons, flows, alerts, and the
 * replay / backtest timeline. A separate chunk that App loads after the chart's first frame with
 * data (or after a few seconds when no data comes), so a cold start compiles, renders and
 * fetches for the chart first (docs/FRONTEND.md, "Cold load"). The prediction panel above them
 * is in the main chunk.
 */
import { AIExplanationPanel } from './AIExplanationPanel';
import { AlertsPanel } from './AlertsPanel';
import { BacktestTimeline } from './BacktestTimeline';
import { CalibrationPanel } from './CalibrationPanel';
import { FlowPanel } from './FlowPanel';

export default function SidePanels() {
  return (
    <>
      <CalibrationPanel />
      <AIExplanationPanel />
      <FlowPanel />
      <AlertsPanel />
      <BacktestTimeline />
    </>
  );
}
