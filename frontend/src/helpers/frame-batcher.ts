/**
 * Merge many pushes into one flush per animation frame. Items with the same key replace
 * each other (the newest tick of a bar wins); the flush receives them in arrival order of
 * their first push. destroy() cancels a pending frame.
 */
export interface FrameScheduler {
  request(cb: () => void): number;
  cancel(id: number): void;
}

export const animationFrames: FrameScheduler = {
  request: (cb) => requestAnimationFrame(cb),
  cancel: (id) => cancelAnimationFrame(id),
};

export class FrameBatcher<T> {
  private pending = new Map<string | number, T>();
  private frame: number | null = null;

  constructor(
    private readonly flush: (items: T[]) => void,
    private readonly scheduler: FrameScheduler = animationFrames,
  ) {}

  push(key: string | number, item: T): void {
    this.pending.set(key, item);
    if (this.frame === null) this.frame = this.scheduler.request(() => this.run());
  }

  /** The pending item under key (to fold a new tick into it), if any. */
  peek(key: string | number): T | undefined {
    return this.pending.get(key);
  }

  get size(): number {
    return this.pending.size;
  }

  private run(): void {
    this.frame = null;
    if (this.pending.size === 0) return;
    const items = [...this.pending.values()];
    this.pending.clear();
    this.flush(items);
  }

  destroy(): void {
    if (this.frame !== null) this.scheduler.cancel(this.frame);
    this.frame = null;
    this.pending.clear();
  }
}
