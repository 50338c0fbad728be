import hre from 'hardhat';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { emit, recordTable, type Measurement } from './measure';
import { FIRST_BLOCK_TIME, pinBlockTimes } from './block-clock';

/**
 * A group of gas readings: each module in scripts/bench/gas/ exports `measure(hre)` returning
 * rows of { case, value } (gas used by one transaction), optionally with notes for the table.
 */
export interface GasGroup {
  rows: Array<{ case: string; gas: bigint | number }>;
  notes?: string[];
}

async function main(): Promise<void> {
  await pinBlockTimes(hre.network.provider);
  const dir = join(__dirname, 'gas');
  const modules = readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();
  const rows: Measurement[] = [];
  const notes: string[] = [
    `Deterministic: blocks are stamped from a fixed clock (the first at ${new Date(FIRST_BLOCK_TIME * 1000).toISOString().slice(0, 10)} 00:00 UTC, ` +
      'each a second after the last plus the waits the bench makes) and keys and Merkle-tree accounts are derived from fixed labels, ' +
      'so calldata, and with it every gas figure, is the same on every run and rows compare across runs.',
  ];
  for (const file of modules) {
    const mod = (await import(join(dir, file))) as { measure(h: typeof hre): Promise<GasGroup> };
    const group = await mod.measure(hre);
    for (const row of group.rows) {
      rows.push(emit({ bench: 'gas', case: row.case, metric: 'gasUsed', value: Number(row.gas), unit: 'gas' }));
    }
    notes.push(...(group.notes ?? []));
  }
  recordTable('gas', 'npm run bench:gas', rows, notes);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
