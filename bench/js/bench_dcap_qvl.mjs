#!/usr/bin/env node
// Reference timing: the published @phala/dcap-qvl JavaScript verifier on the
// same quote + collateral + time inputs as ratls_bench.
//
// usage: node bench_dcap_qvl.mjs [--vectors DIR] [--iterations N] [--warmup N] [--json]
//
// DIR defaults to ../../../shared/vectors relative to this file (the shared/
// folder beside the repository). Figures are per call of dcap-qvl's verify(),
// which is stateless: every call parses the quote, hex-decodes the CRLs,
// parses TCB Info / QE Identity and checks every chain and signature again.
// Median and p90 use the nearest-rank definition, as ratls_bench does.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function usage(code) {
    const out = code === 0 ? console.log : console.error;
    out('usage: node bench_dcap_qvl.mjs [--vectors DIR] [--iterations N] [--warmup N] [--json]');
    process.exit(code);
}

let vectors = resolve(here, '..', '..', '..', 'shared', 'vectors');
let iterations = 500;
let warmup = 50;
let json = false;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
        if (i + 1 >= argv.length) usage(2);
        return argv[++i];
    };
    if (a === '--vectors') vectors = resolve(next());
    else if (a === '--iterations') iterations = Number.parseInt(next(), 10);
    else if (a === '--warmup') warmup = Number.parseInt(next(), 10);
    else if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') usage(0);
    else usage(2);
}
if (!Number.isInteger(iterations) || iterations < 1 || !Number.isInteger(warmup) || warmup < 0) usage(2);

let qvl;
let qvlVersion = 'unknown';
try {
    qvl = require('@phala/dcap-qvl');
    qvlVersion = require('@phala/dcap-qvl/package.json').version;
} catch (e) {
    console.error(`bench_dcap_qvl: @phala/dcap-qvl is not installed (run npm install in ${here}): ${e.message}`);
    process.exit(3);
}

// The same two real cases as ratls_bench (see shared/vectors/tdx/cases.tsv).
const CASES = [
    {
        name: 'dcapqvl-uptodate',
        quote: 'tdx/dcap-qvl/tdx_quote',
        collateral: 'tdx/dcap-qvl/tdx_quote_collateral.json',
        now: 1752919234,
    },
    {
        name: 'dstack-uptodate',
        quote: 'tdx/dstack/quote-report.json#quote',
        collateral: 'seeds/secureai/main-d73b2d0/collateral.json',
        now: 1764028800,
    },
];

function loadQuote(spec) {
    const [file, field] = spec.split('#');
    const path = join(vectors, file);
    if (!field) return new Uint8Array(readFileSync(path));
    const hex = JSON.parse(readFileSync(path, 'utf8'))[field].replace(/^0x/, '').replace(/\s+/g, '');
    return new Uint8Array(Buffer.from(hex, 'hex'));
}

function percentile(sorted, p) {
    // nearest rank: the smallest value with at least p of the samples <= it
    const rank = Math.max(1, Math.ceil(p * sorted.length));
    return sorted[rank - 1];
}

function errorChain(e) {
    let msg = e && e.message ? e.message : String(e);
    for (let c = e && e.cause; c; c = c.cause) msg += `: ${c.message || c}`;
    return msg;
}

if (!existsSync(join(vectors, 'tdx'))) {
    console.log(`bench_dcap_qvl: no vectors at ${vectors}; nothing to measure`);
    process.exit(0);
}

const results = [];
for (const c of CASES) {
    const quote = loadQuote(c.quote);
    const collateralText = readFileSync(join(vectors, c.collateral), 'utf8');
    const collateral = JSON.parse(collateralText);

    // Correctness first: the numbers must be of successful verifications.
    let first;
    try {
        first = qvl.verify(quote, collateral, c.now);
    } catch (e) {
        console.error(`bench_dcap_qvl: ${c.name}: verify failed: ${errorChain(e)}`);
        process.exit(1);
    }
    if (first.status !== 'UpToDate') {
        console.error(`bench_dcap_qvl: ${c.name}: expected UpToDate, got ${first.status}`);
        process.exit(1);
    }

    for (let i = 0; i < warmup; i++) qvl.verify(quote, collateral, c.now);

    const samples = new Float64Array(iterations);
    for (let i = 0; i < iterations; i++) {
        const t0 = process.hrtime.bigint();
        const r = qvl.verify(quote, collateral, c.now);
        const t1 = process.hrtime.bigint();
        if (r.status !== 'UpToDate') {
            console.error(`bench_dcap_qvl: ${c.name}: iteration ${i} returned ${r.status}`);
            process.exit(1);
        }
        samples[i] = Number(t1 - t0) / 1000;
    }
    const sorted = Array.from(samples).sort((a, b) => a - b);
    const total = sorted.reduce((s, x) => s + x, 0);
    const res = {
        impl: 'dcap-qvl-js',
        version: qvlVersion,
        node: process.version,
        case: c.name,
        now: c.now,
        status: first.status,
        iterations,
        warmup,
        median_us: Math.round(percentile(sorted, 0.5) * 10) / 10,
        p90_us: Math.round(percentile(sorted, 0.9) * 10) / 10,
        mean_us: Math.round((total / iterations) * 10) / 10,
        per_sec: Math.round(1e6 / percentile(sorted, 0.5)),
    };
    results.push(res);
    if (json) {
        console.log(JSON.stringify(res));
    } else {
        console.log(
            `dcap-qvl-js ${qvlVersion} (node ${process.version}) ${c.name}: ${res.status}, ` +
                `${iterations} runs: median ${res.median_us.toFixed(1)} us, p90 ${res.p90_us.toFixed(1)} us, ` +
                `mean ${res.mean_us.toFixed(1)} us (~${res.per_sec}/s on one thread)`,
        );
    }
}
