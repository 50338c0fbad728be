import { JsonRpcProvider, Network, formatUnits } from 'ethers';
import { parseSignedReport, type SignedReport } from '../../lambdas/reserves/report';
import { verifyReport, type Check, type ProofInput, type VerifyContext } from '../../lambdas/reserves/verify';
import { apiGet, appConfig, type Protocol } from './api';
import { el, facts, utc } from './dom';

/** Pass/fail of every check, worded like `ssi verify-reserves`. */
const verdictOf = (checks: readonly Check[]) => {
  const failed = checks.filter((c) => !c.ok).length;
  return failed === 0 ? { ok: true, text: 'all checks passed' } : { ok: false, text: `FAILED: ${failed} of ${checks.length} checks` };
};

function reportCard(signed: SignedReport, checks: readonly Check[]): HTMLElement {
  const { report } = signed;
  const verdict = verdictOf(checks);
  const id = `report-${report.index.symbol}`;
  return el(
    'section',
    { class: 'card', 'aria-labelledby': id, 'data-index': report.index.symbol },
    el('header', {}, el('h2', { id }, `${report.index.symbol} · ${report.day}`), el('span', { class: `verdict ${verdict.ok ? 'pass' : 'fail'}` }, verdict.text)),
    facts([
      ['Block', report.block.number],
      ['Block time', utc(report.block.timestamp)],
      ['Supply', `${formatUnits(report.totalSupply, 18)} ${report.index.symbol}`],
      ['Holders', report.holders.count],
      ['Reserves', report.deficit ? `DEFICIT in ${report.deficitAssets.join(', ')}` : 'fully reserved'],
    ]),
    el('p', { class: 'mono' }, `report hash ${signed.reportHash}`),
    el(
      'ul',
      { class: 'checks', 'aria-label': `Checks of ${report.index.symbol}` },
      ...checks.map((check) =>
        el('li', { class: check.ok ? 'pass' : 'fail', 'data-check': check.name }, el('span', { class: 'status' }, check.ok ? 'PASS' : 'FAIL'), el('span', { class: 'mono' }, check.name), el('span', { class: 'reason' }, check.reason)),
      ),
    ),
  );
}

/**
 * #/reserves: the latest signed report of every index, verified here in the browser by the same
 * verifyReport `ssi verify-reserves` runs, against the chain RPC and the signer from /v1/protocol.
 */
/** The form that reloads the page with a holder's inclusion proofs checked too. */
function holderForm(holder: string): HTMLElement {
  const input = el('input', { id: 'holder', name: 'holder', type: 'text', inputmode: 'text', autocomplete: 'off', spellcheck: 'false', pattern: '0x[0-9a-fA-F]{40}', placeholder: '0x…', value: holder });
  const form = el('form', { class: 'holder', 'aria-label': 'Check a holder' }, el('label', { for: 'holder' }, 'Holder address'), input, el('button', { type: 'submit' }, 'Check inclusion'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/reserves?holder=${encodeURIComponent(input.value.trim())}`;
  });
  return form;
}

export async function renderReserves(main: HTMLElement, query: URLSearchParams): Promise<void> {
  const holder = query.get('holder') ?? '';
  const [config, protocol, latest] = await Promise.all([appConfig(), apiGet<Protocol>('/v1/protocol'), apiGet<{ reports: unknown[] }>('/v1/reserves/latest')]);
  main.replaceChildren(el('h1', {}, 'Proof of reserves'), el('p', { class: 'lead' }, `Verifying ${latest.reports.length} signed reports against the chain…`));
  if (!protocol.signers.reserve) throw new Error('GET /v1/protocol publishes no reserve signer: the reports cannot be checked');
  const provider = new JsonRpcProvider(config.rpc, Network.from(protocol.chainId), { staticNetwork: true });
  try {
    const ctx: VerifyContext = {
      provider,
      expectedSigner: protocol.signers.reserve,
      indexes: protocol.indexes,
      custody: protocol.contracts.custodyVault!,
      // Custodian assets (MAG7.ssi) are checked against the registry's custodian statements, as `ssi verify-reserves` does.
      ...(protocol.contracts.custodyRegistry ? { custodianRegistry: protocol.contracts.custodyRegistry } : {}),
      chainId: protocol.chainId,
      reader: { fromBlock: 0 },
    };
    const reports = latest.reports.map((raw) => parseSignedReport(JSON.stringify(raw)));
    // The holder's proofs come from the proof API for the reports' day; the check itself (leaf in
    // the signed root, leaf balance equal to the chain's at the report's block) runs here.
    const proofs = new Map<string, ProofInput>();
    if (holder && reports.length) {
      const body = await apiGet<{ proofs: ProofInput[] }>(`/v1/reserves/${reports[0]!.report.day}/proof/${encodeURIComponent(holder)}`);
      for (const proof of body.proofs) proofs.set(proof.symbol, proof);
    }
    const results: Array<{ signed: SignedReport; checks: Check[] }> = [];
    for (const signed of reports) results.push({ signed, checks: await verifyReport(ctx, signed, proofs.get(signed.report.index.symbol)) });
    const overall = verdictOf(results.flatMap((r) => r.checks));
    main.replaceChildren(
      el('h1', {}, 'Proof of reserves'),
      el('p', { class: 'lead' }, 'Each index’s latest signed report, checked in this browser: report hash, the reserve signer’s EIP-191 signature, the block, a full recomputation from the chain, and the on-chain registry entry.'),
      holderForm(holder),
      el('p', { class: 'summary' }, 'Verdict: ', el('span', { class: `verdict ${overall.ok ? 'pass' : 'fail'}`, id: 'overall' }, results.length ? overall.text : 'no reports published yet')),
      ...results.map((r) => reportCard(r.signed, r.checks)),
      el('p', { class: 'source' }, `Source: GET /v1/reserves/latest, checked against ${config.rpc} (chain ${protocol.chainId}) and the reserve signer ${protocol.signers.reserve} from GET /v1/protocol.`),
    );
  } finally {
    provider.destroy();
  }
}
