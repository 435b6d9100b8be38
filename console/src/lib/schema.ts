/**
 * Enumerations the console offers in its drop-downs (vendors, key statuses, revocation reasons…)
 * come from the gateway's OpenAPI document, so a value added on the server appears here without
 * a console change and the console never keeps its own copy of those rules.
 */
import { openApi } from '../api/client';

let doc: Promise<Record<string, unknown>> | undefined;

function at(obj: unknown, path: (string | number)[]): unknown {
  let cur = obj;
  for (const p of path) cur = cur && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[p] : undefined;
  return cur;
}

/** The enum found at this path of the OpenAPI document (empty when absent). */
export async function enumAt(path: (string | number)[]): Promise<string[]> {
  doc ??= openApi();
  const found = at(await doc, path);
  return Array.isArray(found) ? found.filter((v): v is string => typeof v === 'string') : [];
}

const keysList = ['paths', '/api/v1/admin/keys', 'get', 'parameters'];
export const vendors = () => enumAt([...keysList, 2, 'schema', 'enum']);
export const keyStatuses = () => enumAt([...keysList, 0, 'schema', 'enum']);
const createProps = ['paths', '/api/v1/admin/keys', 'post', 'requestBody', 'content', 'application/json', 'schema', 'properties'];
export const encodings = () => enumAt([...createProps, 'encoding', 'enum']);
export const bodyRetentions = () => enumAt([...createProps, 'bodyRetention', 'enum']);
const certProps = ['paths', '/api/v1/admin/certs', 'get', 'responses', '200', 'content', 'application/json', 'schema', 'properties', 'certificates', 'items', 'properties'];
export const revocationReasons = () => enumAt([...certProps, 'revocationReason', 'enum']);
export const certKinds = () => enumAt([...certProps, 'kind', 'enum']);
const issueProps = ['paths', '/api/v1/admin/certs', 'post', 'requestBody', 'content', 'application/json', 'schema', 'properties'];
export const issuableKinds = () => enumAt([...issueProps, 'kind', 'enum']);
export const adminRoles = () => enumAt([...issueProps, 'role', 'enum']);
export const certStates = () => enumAt(['paths', '/api/v1/admin/certs', 'get', 'parameters', 1, 'schema', 'enum']);
