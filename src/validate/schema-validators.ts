/** The precompiled schema validators (see scripts/build-validators.mjs), typed. */
import type { ErrorObject } from 'ajv';
import sitesValidator from './generated/sites-validator.js';
import workflowValidator from './generated/workflow-validator.js';

export interface SchemaValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export const validateWorkflowSchema = workflowValidator as unknown as SchemaValidator;
export const validateSitesSchema = sitesValidator as unknown as SchemaValidator;
