/**
 * The staging decision for the chosen site, with this host's view of its images folder and of a copy
 * already staged there (file system, at the edge; the decision itself is staging-decision.ts).
 */
import type { VmRequest } from '../model/workflow.js';
import { fileBytes, imagesFolder, type LocalImages } from './images-folder.js';
import { decideStaging, type StagingDecision, type StagingInput } from './staging-decision.js';

export function stagingAt(
  site: { name: string; pool?: string; images?: string },
  vm: VmRequest,
  facts: { sha256?: string; bytes?: number },
  localImages: LocalImages,
): StagingDecision {
  const folder = vm.image.location === 'local' ? imagesFolder(site, localImages) : undefined;
  const input: StagingInput = {
    site: site.name,
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
