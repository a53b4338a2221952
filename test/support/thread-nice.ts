// Nice values as the kernel reports them (Linux /proc), read independently of the code under test.
import fs from 'node:fs';

/** The nice value of one task: `thread-self`, or a thread id of this process. */
export function threadNice(task: string | number): number {
  const stat = fs.readFileSync(
    task === 'thread-self' ? '/proc/thread-self/stat' : `/proc/self/task/${task}/stat`,
    'utf8',
  );
  // Fields after the command name (which may hold spaces) start at field 3; nice is field 19.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** The nice value of every thread of this process. */
export function allThreadNices(): number[] {
  const out: number[] = [];
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      out.push(threadNice(tid));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}
