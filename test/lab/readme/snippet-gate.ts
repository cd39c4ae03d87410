// Preloaded (--import) into a snippet's process by snippets.test.ts: loads the package's modules,
// says so on stderr, then holds the snippet back until a line arrives on stdin. Loading takes
// seconds in the lab VM, so the test can release the snippet at a moment of its choosing.
await import('../../../src/index.js');
process.stderr.write('snippet-gate: loaded\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.destroy();
export {};
