/**
 * The contract between a vendor front (adapters/<vendor>/) and the gateway's request pipeline.
 *
 * A request flows: data-plane socket → front.readRequest (envelope: operation + credentials,
 * nothing decoded yet) → key check → front's call.records(textRepair) (legacy → draft national
 * records with a map back to vendor field names) → shared preparation (re-map units, validate,
 * sign; adapters/national) → delivery → front.renderResult in the vendor's own format.
 * Any GatewayError on the way is rendered by front.renderError, in the caller's protocol.
 */
import type { HttpAnswer, RequestMeta } from '../core/http.js';
import type { GatewayError } from '../core/errors.js';
import type { DonVi, HoSoChuaKy } from './national/profile.js';

export type VendorId = string;

/** One problem with one field, in the national record's terms and in the vendor's. */
export interface FieldIssue {
  /** JSON Pointer into the national record (e.g. /luong/heSo); absent for envelope-level issues. */
  pointer?: string;
  /** The field as the vendor names it: `HeSoLuong`, `employee[2]/personal/nationalId`. */
  field: string;
  /** Machine code: KHONG_HOP_LE, THIEU_TRUONG, MA_KHONG_TON_TAI, SAI_DINH_DANG, … */
  code: string;
  /** Vietnamese, for a clerk to act on. */
  message: string;
}

/** Applied to every legacy string before mapping: TCVN3 → Unicode where the key says so, then NFC. */
export type TextRepair = (text: string) => string;

/** One record as a vendor front read it, before the shared checks. */
export interface ParsedRecord {
  /** The vendor's own id for the record (vendor B `employee/@id`, vendor A `SoHieuCanBo`). */
  recordId: string;
  /** 0-based position in the request. */
  index: number;
  /** Draft national record (no chuKySo, no nguon). May be partial when `errors` is not empty. */
  draft: Partial<HoSoChuaKy>;
  /** JSON Pointer (or a prefix of one) → vendor field, so later validation errors name the vendor's field. */
  fields: Record<string, string>;
  /** Problems found while mapping (unparseable date, unknown ethnic group, 9-digit id …). */
  errors: FieldIssue[];
  warnings: FieldIssue[];
}

export interface ParsedUnit {
  recordId: string;
  draft: Partial<DonVi>;
  fields: Record<string, string>;
  errors: FieldIssue[];
  warnings: FieldIssue[];
}

/** Credentials as the caller presented them, before any check. */
export interface PresentedCredentials {
  /** The connection key (vendor A MaKetNoi, vendor B Password, vendor C / JSON X-Connection-Key header). */
  key?: string;
  /** An access token from POST /token (`Authorization: Bearer …`), accepted wherever a key is. */
  bearer?: string;
  /** Vendor B Username: the software id the key was issued to. */
  softwareId?: string;
  /** The sending unit as the caller states it (vendor A XacThuc/MaDonVi, vendor C X-Ma-Don-Vi, vendor B orgCode). */
  unitCode?: string;
}

/** What a key may be allowed to do. 'read' covers the JSON pass-through of the central database's read paths. */
export type Operation = 'submitProfiles' | 'upsertUnit' | 'status' | 'read';

/** A parsed call, ready for authentication; its body is mapped only after the key is known. */
export interface IncomingCall {
  /** The vendor's own operation name (DongBoHoSo, submitRecords, hoso). */
  vendorOperation: string;
  operation: Operation;
  credentials: PresentedCredentials;
  /** vendor B batchId and the like: echoed in the answer. */
  correlation?: Record<string, string>;
  /** submitProfiles: map the records (text repaired by the key's encoding). */
  records?(repair: TextRepair): ParsedRecord[];
  /** upsertUnit. */
  unit?(repair: TextRepair): ParsedUnit;
  /** status: the tracking ids asked about. */
  trackingIds?: string[];
  /** status: the caller's own name for the tracking-id field (vendor A `maTheoDoi`, vendor B `trackingId`), named when an id is unknown. */
  trackingField?: string;
}

export type RecordStatus = 'SYNCED' | 'QUEUED' | 'INVALID' | 'STALE' | 'ERROR';

/** What became of one record (or one tracking id), in vendor-neutral terms. */
export interface RecordResult {
  recordId: string;
  index: number;
  status: RecordStatus;
  trackingId?: string;
  /** For INVALID: vendor-field errors. For ERROR / STALE: one entry explaining. */
  errors: FieldIssue[];
  warnings: FieldIssue[];
  /** Vietnamese summary (e.g. "Đồng bộ thành công"). */
  message?: string;
}

export interface OperationResult {
  operation: Operation;
  results: RecordResult[];
  correlation?: Record<string, string>;
}

export interface RequestLimits {
  maxBodyBytes: number;
  xmlMaxDepth: number;
  xmlMaxElements: number;
  xmlMaxAttributes: number;
  xmlMaxAttributeLength: number;
  xmlMaxTextLength: number;
  maxRecordsPerCall: number;
  /** Tracking ids one status call may ask about. */
  maxStatusIdsPerCall: number;
  /** vendor B timestamp check. */
  maxFutureSkewSeconds: number;
  now(): Date;
}

/** One legacy protocol front. Adding a vendor = one folder exporting this + one registry line. */
export interface VendorFront {
  id: VendorId;
  /**
   * What this protocol can ask for (from its contract): a connection key issued for this vendor
   * allows all of them unless an admin narrows it, and can allow nothing else.
   */
  operations: readonly Operation[];
  /** Data-plane paths this front answers (exact match, without query). */
  paths: string[];
  /**
   * Also answer `paths` in any letter case. For services that IIS hosted: it matched paths
   * case-insensitively, and installations keep the URL case they were set up with
   * (`/qlcbservice.asmx`). Documents served (WSDL addresses) keep the canonical path.
   */
  caseInsensitivePaths?: boolean;
  /** GET documents (the WSDL); undefined when this GET is not one of them. */
  describe?(meta: RequestMeta, publicUrl: string): HttpAnswer | undefined;
  /** Reads the envelope; throws GatewayError (XML_KHONG_HOP_LE, SOAP_KHONG_HOP_LE, …) for bad input. */
  readRequest(body: Buffer, meta: RequestMeta, limits: RequestLimits): IncomingCall;
  renderResult(call: IncomingCall, result: OperationResult): HttpAnswer;
  /** Any gateway error, in this caller's protocol. `call` is absent when the envelope could not be read. */
  renderError(err: GatewayError, call?: IncomingCall): HttpAnswer;
  /**
   * The request body with every credential this protocol carries IN THE BODY replaced (vendor A
   * MaKetNoi, vendor B wsse:Password): what the audit trail keeps, decrypts for auditors and
   * exports. Must work on any bytes, above all on a body readRequest refused, and never throw.
   * Absent when the protocol carries no credential in its body (keys in headers); the pipeline
   * also removes every credential value the caller presented, wherever it appears.
   */
  redactBody?(body: Buffer, meta: RequestMeta): Buffer;
}
