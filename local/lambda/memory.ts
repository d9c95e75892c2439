/**
 * The process tree of a local execution environment — its runtime process and every process it
 * started, at any depth, including ones that made themselves session or group leaders (the
 * aligner starts MAFFT detached, in its own process group) — measured as Lambda measures the
 * sandbox, and killed as Lambda ends it: all of it.
 *
 * One sampler serves all environments: each tick reads `/proc/<pid>/stat` once per process,
 * builds the parent → children map, and sums resident memory over each watched tree. The
 * high-water mark is kept, together with the root's own `VmHWM` (its peak between two ticks).
 * Linux only; elsewhere figures stay 0, no out-of-memory kill happens and kills reach the root's
 * process group only.
 */
import { readdirSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

export interface MemoryWatch {
  /** Resident bytes of the tree at the last tick. */
  readonly currentBytes: number;
  /** High-water mark since the watch began. */
  readonly peakBytes: number;
  /** SIGKILLs the whole tree (the processes seen at this moment and at the last tick). */
  killTree(): void;
  stop(): void;
}

interface Watch extends MemoryWatch {
  root: number;
  currentBytes: number;
  peakBytes: number;
  /** Pids of the tree at the last tick (to reach orphans once the root is gone). */
  members: Set<number>;
  onSample?: (bytes: number) => void;
}

interface ProcInfo {
  ppid: number;
  rssBytes: number;
}

const PROC = "/proc";

function pageSize(): number {
  try {
    const n = Number(execFileSync("getconf", ["PAGESIZE"], { encoding: "utf8" }).trim());
    return Number.isInteger(n) && n > 0 ? n : 4096;
  } catch {
    return 4096;
  }
}

function vmHwmBytes(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`${PROC}/${pid}/status`, "latin1"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

export class ProcessTreeSampler {
  private readonly watches = new Set<Watch>();
  private timer: NodeJS.Timeout | undefined;
  readonly supported = process.platform === "linux";
  private readonly page = this.supported ? pageSize() : 4096;

  constructor(private readonly intervalMs: number) {}

  /** Starts measuring the tree under `rootPid`; `onSample` sees every tick's total. */
  watch(rootPid: number, onSample?: (bytes: number) => void): MemoryWatch {
    const w: Watch = {
      root: rootPid,
      currentBytes: 0,
      peakBytes: 0,
      members: new Set([rootPid]),
      ...(onSample ? { onSample } : {}),
      killTree: () => this.killTree(w),
      stop: () => {
        this.watches.delete(w);
        if (this.watches.size === 0) this.halt();
      },
    };
    this.watches.add(w);
    if (this.supported && !this.timer) {
      this.timer = setInterval(() => this.sample(), this.intervalMs);
      this.timer.unref();
    }
    this.sample();
    return w;
  }

  private snapshot(): Map<number, ProcInfo> {
    const procs = new Map<number, ProcInfo>();
    if (!this.supported) return procs;
    let names: string[];
    try {
      names = readdirSync(PROC);
    } catch {
      return procs;
    }
    for (const name of names) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      let stat: string;
      try {
        stat = readFileSync(`${PROC}/${name}/stat`, "latin1");
      } catch {
        continue; // ended between readdir and read
      }
      // After "(comm) ": state(0) ppid(1) pgrp(2) session(3) ... rss(21), in pages.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      procs.set(Number(name), { ppid: Number(f[1]), rssBytes: Number(f[21]) * this.page });
    }
    return procs;
  }

  private static treeOf(root: number, procs: Map<number, ProcInfo>, children: Map<number, number[]>): number[] {
    if (!procs.has(root)) return [];
    const out = [root];
    for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]!) ?? []));
    return out;
  }

  private static childrenOf(procs: Map<number, ProcInfo>): Map<number, number[]> {
    const children = new Map<number, number[]>();
    for (const [pid, p] of procs) {
      let list = children.get(p.ppid);
      if (!list) children.set(p.ppid, (list = []));
      list.push(pid);
    }
    return children;
  }

  /** Takes a sample now (also done on every tick). */
  sample(): void {
    if (this.watches.size === 0) return;
    if (!this.supported) {
      for (const w of this.watches) this.record(w, 0);
      return;
    }
    const procs = this.snapshot();
    const children = ProcessTreeSampler.childrenOf(procs);
    for (const w of this.watches) {
      const tree = ProcessTreeSampler.treeOf(w.root, procs, children);
      if (tree.length > 0) w.members = new Set(tree);
      this.record(
        w,
        tree.reduce((n, pid) => n + procs.get(pid)!.rssBytes, 0),
      );
    }
  }

  private record(w: Watch, bytes: number): void {
    w.currentBytes = bytes;
    w.peakBytes = Math.max(w.peakBytes, bytes, this.supported ? vmHwmBytes(w.root) : 0);
    w.onSample?.(bytes);
  }

  private killTree(w: Watch): void {
    const members = new Set(w.members);
    if (this.supported) {
      const procs = this.snapshot();
      for (const pid of ProcessTreeSampler.treeOf(w.root, procs, ProcessTreeSampler.childrenOf(procs)))
        members.add(pid);
    }
    // Stop the root first so it cannot start anything new, then everything it started.
    killQuietly(w.root);
    for (const pid of members) killQuietly(pid);
    try {
      process.kill(-w.root, "SIGKILL"); // the root's own process group, for platforms without /proc
    } catch {
      // no such group
    }
  }

  private halt(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  stop(): void {
    this.watches.clear();
    this.halt();
  }
}
