/** What the kernel says about a process's memory (Linux /proc). */
import { readFile } from "node:fs/promises";

/** The resident set size of process `pid` in KiB (VmRSS of /proc/<pid>/status). */
export async function residentKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`/proc/${pid}/status names no VmRSS`);
  return Number(match[1]);
}
