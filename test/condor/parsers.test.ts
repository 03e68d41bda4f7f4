/**
 * Parsers of HTCondor output, on output recorded from the lab pool (fixtures/recorded/<case>/COMMAND.txt
 * says how each file was produced).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adNumber, adString, parseAdsJson, parseAdsXml } from '../../src/condor/classads.js';
import {
  dagNodeName,
  EventCode,
  executeHost,
  parseEventLog,
  termination,
} from '../../src/condor/event-log.js';

const rec = (c: string, f: string) => readFileSync(join('fixtures/recorded', c, f), 'utf8');

describe('ClassAd -json and -xml (condor_q, condor_history)', () => {
  for (const [what, json, xml] of [
    ['condor_q', 'condor_q.running.json', 'condor_q.running.xml'],
    ['condor_history', 'condor_history.json', 'condor_history.xml'],
  ] as const) {
    it(`${what}: the JSON and XML forms decode to the same ads`, () => {
      const a = parseAdsJson(rec('vanilla-job', json));
      const b = parseAdsXml(rec('vanilla-job', xml));
      expect(a.length).toBe(1);
      expect(b).toEqual(a);
      const logCluster = parseEventLog(rec('vanilla-job', 'job.log'))[0]?.cluster;
      expect(adNumber(a[0] ?? {}, 'ClusterId')).toBe(logCluster);
      expect(adString(a[0] ?? {}, 'Cmd')).toBe('/bin/sh');
    });
  }
  it('keeps expressions as expressions', () => {
    const [ad] = parseAdsJson(rec('vanilla-job', 'condor_q.running.json'));
    expect(ad?.Requirements).toMatchObject({ expr: expect.stringContaining('TARGET.') });
  });
  it('treats empty output as no ads (condor_q -json prints nothing for zero matches)', () => {
    expect(parseAdsJson('')).toEqual([]);
    expect(
      parseAdsXml(
        '<?xml version="1.0"?>\n<!DOCTYPE classads SYSTEM "classads.dtd">\n<classads>\n</classads>\n',
      ),
    ).toEqual([]);
  });
  it('a running job has JobStatus 2, the finished one 4', () => {
    expect(adNumber(parseAdsJson(rec('vanilla-job', 'condor_q.running.json'))[0] ?? {}, 'JobStatus')).toBe(2);
    expect(adNumber(parseAdsJson(rec('vanilla-job', 'condor_history.json'))[0] ?? {}, 'JobStatus')).toBe(4);
  });
});

describe('job event log', () => {
  const events = parseEventLog(rec('vanilla-job', 'job.log'));
  it('reads every complete event with its code, id and time', () => {
    expect(events.map((e) => e.code)).toEqual([EventCode.submit, EventCode.execute, 6, EventCode.terminated]);
    const cluster = events[0]?.cluster;
    expect(events.every((e) => e.cluster === cluster && e.proc === 0)).toBe(true);
    // The log's zoneless local times agree with the epoch times of the job's history ad.
    const [ad] = parseAdsJson(rec('vanilla-job', 'condor_history.json'));
    expect((events[0]?.time ?? 0) / 1000).toBe(adNumber(ad ?? {}, 'QDate'));
    expect((events.at(-1)?.time ?? 0) / 1000).toBe(adNumber(ad ?? {}, 'CompletionDate'));
  });
  it('finds the execute host and the return value', () => {
    expect(executeHost(events[1] as never)).toMatch(/^<10\.213\.7\.1:9618/);
    expect(termination(events[3] as never)).toEqual({ normal: true, value: 0 });
  });
  it('names each node job\'s DAG node from its submit event (HTCondor 25\'s `[ DAGNodeName = "…"; … ]`)', () => {
    const text = rec('dag-mixed', 'dag-mixed.dag.nodes.log');
    const submits = parseEventLog(text).filter((e) => e.code === EventCode.submit);
    const raw = [...text.matchAll(/^000 [^\n]*\n[^\n]*DAGNodeName = "([^"]+)"/gm)].map((m) => m[1]);
    expect(submits.length).toBeGreaterThan(0);
    expect(submits.map((e) => dagNodeName(e))).toEqual(raw);
  });
  it('leaves out a trailing event that is not finished yet', () => {
    const text = rec('vanilla-job', 'job.log');
    const cut = text.slice(0, text.lastIndexOf('...'));
    expect(parseEventLog(cut).length).toBe(3);
  });
});
