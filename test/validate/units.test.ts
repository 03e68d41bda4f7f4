import { describe, expect, it } from 'vitest';
import { parseDurationSeconds, parseMemoryMiB } from '../../src/validate/units.js';

describe('parseMemoryMiB', () => {
  const rows: [unknown, number | undefined][] = [
    [512, 512],
    ['512MiB', 512],
    ['2GiB', 2048],
    ['1000MB', 954],
    ['1GB', 954],
    ['1MB', 1],
    ['4000MB', 3815],
    ['0MiB', undefined],
    ['512KiB', undefined],
    ['1.5GiB', undefined],
    ['512 MiB', undefined],
    ['512mib', undefined],
    [0, undefined],
    [1.5, undefined],
    [true, undefined],
  ];
  for (const [given, want] of rows)
    it(`${JSON.stringify(given)} → ${want}`, () => {
      expect(parseMemoryMiB(given)).toBe(want);
    });
});

describe('parseDurationSeconds', () => {
  const rows: [unknown, number | undefined][] = [
    [90, 90],
    ['90s', 90],
    ['30m', 1800],
    ['2h', 7200],
    ['1d', 86_400],
    ['1h30m', undefined],
    ['0s', undefined],
    ['2 h', undefined],
    ['3600', undefined],
    [0, undefined],
    [-5, undefined],
  ];
  for (const [given, want] of rows)
    it(`${JSON.stringify(given)} → ${want}`, () => {
      expect(parseDurationSeconds(given)).toBe(want);
    });
});
