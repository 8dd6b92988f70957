// What the kernel says about a process's CPU time (Linux /proc), for the e2e figures.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat's times (`getconf CLK_TCK`, usually 100). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const answer = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    ticksPerSecond = Number.isFinite(answer) && answer > 0 ? answer : 100;
  }
  return ticksPerSecond;
}

/** The name and the user and system CPU milliseconds of a /proc `stat` line (a process or a thread). */
function cpuOfStat(stat: string): { name: string; user: number; system: number } {
  // The command name (field 2) is in parentheses and may contain spaces: count from after it.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const toMs = (ticks: string | undefined) => (Number(ticks) * 1000) / clockTicksPerSecond();
  // Fields 14 (utime) and 15 (stime) of the whole line are 11 and 12 after the name.
  return {
    name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
    user: toMs(fields[11]),
    system: toMs(fields[12]),
  };
}

/** User plus system CPU time process `pid` has used so far, in milliseconds (utime + stime). */
export function cpuMs(pid: number): number {
  const { user, system } = cpuOfStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  return user + system;
}

/** Measures the CPU time `pid` uses from now until `stop()`. */
export function cpuMeter(pid: number): { stop(): number } {
  const start = cpuMs(pid);
  return { stop: () => cpuMs(pid) - start };
}

/**
 * User and system CPU milliseconds each thread of `pid` has used so far, summed by thread name
 * (`node` is the main thread; libsignal's runtime, V8's and libuv's helpers have names of their
 * own). Threads that ended meanwhile are not counted.
 */
export function threadCpuMs(pid: number): Map<string, { user: number; system: number }> {
  const byName = new Map<string, { user: number; system: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // ended meanwhile
    }
    const thread = cpuOfStat(stat);
    const sum = byName.get(thread.name) ?? { user: 0, system: 0 };
    sum.user += thread.user;
    sum.system += thread.system;
    byName.set(thread.name, sum);
  }
  return byName;
}
