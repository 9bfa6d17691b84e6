/** A line of the benchmark's log, with the time of day. */
export const log = (line: string) =>
  console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);

export const sleep = (ms: number) =>
  new Promise(resolve => setTimeout(resolve, ms));
