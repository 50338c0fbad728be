import { readFileSync } from 'node:fs';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';

/**
 * The baseline of bench:points, in its own process so its memory does not count against ours:
 * reads [account, amount] pairs from the JSON file given as argument, builds
 * StandardMerkleTree.of(values, ['address', 'uint256']) and prints one JSON line with the root,
 * the build time and this process's peak RSS.
 */
const values = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Array<[string, string]>;
const started = performance.now();
const tree = StandardMerkleTree.of(values, ['address', 'uint256']);
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ root: tree.root, ms, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
