/**
 * The execution environments of one function: warm ones are reused one invocation at a time
 * (the most recently used first, so a quiet function keeps one warm environment), a new one
 * starts when all are busy and the concurrency limit allows, and idle ones stop after the idle
 * timeout. Dead environments (timed out, out of memory, crashed) are dropped, never reused.
 */
import { EventEmitter } from "node:events";
import {
  ExecutionEnvironment,
  type EnvironmentHost,
  type FunctionDefinition,
  type InvocationRecord,
} from "./environment.ts";

export interface PoolOptions {
  concurrency: number;
  idleTimeoutMs: number;
}

export class FunctionPool extends EventEmitter<{ capacity: []; environment: [ExecutionEnvironment] }> {
  private readonly envs = new Set<ExecutionEnvironment>();
  private readonly reaper: NodeJS.Timeout;
  private stopped = false;

  constructor(
    readonly fn: FunctionDefinition,
    private readonly host: EnvironmentHost,
    private readonly opts: PoolOptions,
  ) {
    super();
    this.reaper = setInterval(() => void this.reapIdle(), Math.max(50, Math.min(opts.idleTimeoutMs / 4, 5000)));
    this.reaper.unref();
  }

  /** Live environments (for tests, fault injection and progress). */
  environments(): ExecutionEnvironment[] {
    this.prune();
    return [...this.envs];
  }

  get busy(): number {
    return this.environments().filter((e) => e.state === "busy" || e.state === "initializing").length;
  }

  hasCapacity(): boolean {
    if (this.stopped) return false;
    const envs = this.environments();
    return envs.some((e) => e.state === "idle") || envs.length < this.opts.concurrency;
  }

  /** Runs one invocation on a warm environment or a new one. Call only when `hasCapacity()`. */
  async invoke(requestId: string, event: unknown, invokedFunctionArn: string): Promise<InvocationRecord> {
    const env = this.take();
    try {
      return await env.invoke(requestId, event, invokedFunctionArn);
    } finally {
      this.prune();
      this.emit("capacity");
    }
  }

  private take(): ExecutionEnvironment {
    const idle = this.environments()
      .filter((e) => e.state === "idle")
      .sort((a, b) => b.lastUsedAt - a.lastUsedAt)[0];
    if (idle) return idle;
    if (this.envs.size >= this.opts.concurrency)
      throw new Error(`${this.fn.functionName}: no capacity (concurrency ${this.opts.concurrency})`);
    const env = new ExecutionEnvironment(this.fn, this.host);
    this.envs.add(env);
    this.emit("environment", env);
    return env;
  }

  private prune(): void {
    for (const e of this.envs) if (e.state === "dead") this.envs.delete(e);
  }

  private async reapIdle(): Promise<void> {
    const cutoff = Date.now() - this.opts.idleTimeoutMs;
    const stale = this.environments().filter((e) => e.state === "idle" && e.lastUsedAt < cutoff);
    if (stale.length === 0) return;
    await Promise.all(stale.map((e) => e.stop()));
    this.prune();
    this.emit("capacity");
  }

  /** Ends every environment at once (a forced exit: their queued events stay journaled). */
  killAll(): void {
    for (const e of this.envs) e.kill("shutdown");
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reaper);
    await Promise.all([...this.envs].map((e) => e.stop()));
    this.envs.clear();
  }
}
