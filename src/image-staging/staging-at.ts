/**
 * The staging decision for the chosen site, with this host's view of its images folder and of a copy
 * already staged there (file system, at the edge; the decision itself is staging-decision.ts).
 */
import type { Transfer, VmRequest } from '../model/workflow.js';
import { fileBytes, imagesFolder, type LocalImages } from './images-folder.js';
import { decideStaging, type StagingDecision, type StagingInput } from './staging-decision.js';

export function stagingAt(
  site: { name: string; pool?: string; images?: string; transfer?: Transfer },
  vm: VmRequest,
  facts: { sha256?: string; bytes?: number },
  localImages: LocalImages,
): StagingDecision {
  // A catalog site carries its resolved transfer; the local pool has none: shared.
  const transfer = site.transfer ?? 'shared';
  // A run that travels is never staged: no images folder of the site is looked at from here.
  const folder =
    vm.image.location === 'local' && transfer === 'shared' ? imagesFolder(site, localImages) : undefined;
  const input: StagingInput = {
    site: site.name,
    transfer,
    location: vm.image.location,
    format: vm.image.format,
    differential: vm.image.differential,
    count: vm.count,
  };
  if (facts.sha256 !== undefined) input.sha256 = facts.sha256;
  if (facts.bytes !== undefined) input.bytes = facts.bytes;
  if (folder) input.folder = folder;
  const first = decideStaging(input);
  if (first.stagedPath === undefined) return first;
  const there = fileBytes(first.stagedPath);
  return there === undefined ? first : decideStaging({ ...input, existingBytes: there });
}
