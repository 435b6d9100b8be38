/**
 * Every refusal the gateway gives, in one catalogue: a stable machine code, the Vietnamese
 * message a clerk or operator reads, and the HTTP status / SOAP fault side it maps to. Protocol
 * fronts render a GatewayError in the caller's own format (SOAP 1.1 fault, SOAP 1.2 fault,
 * vendor C XML, JSON problem); nothing else decides what a caller is told.
 */

export interface ErrorSpec {
  /** Vietnamese text, may contain {placeholders}. */
  message: string;
  httpStatus: number;
  /** Whose fault: the caller (SOAP Client/Sender) or the gateway / upstream (Server/Receiver). */
  side: 'client' | 'server';
}

export const ERRORS = {
  KHOA_KET_NOI_KHONG_HOP_LE: { message: 'Mã kết nối không hợp lệ hoặc đã bị thu hồi', httpStatus: 401, side: 'client' },
  KHOA_KET_NOI_BI_KHOA: { message: 'Tạm khóa do nhập sai mã kết nối nhiều lần; thử lại sau {retryAfterSeconds} giây', httpStatus: 429, side: 'client' },
  CHUNG_THU_KHONG_HOP_LE: { message: 'Chứng thư số của phần mềm không hợp lệ, đã hết hạn hoặc đã bị thu hồi', httpStatus: 403, side: 'client' },
  SAI_PHAN_MEM: { message: 'Mã kết nối này không được cấp cho giao diện kết nối {front}', httpStatus: 403, side: 'client' },
  KHONG_DUOC_PHEP: { message: 'Mã kết nối không được phép thực hiện thao tác {operation}', httpStatus: 403, side: 'client' },
  // Rate limits are "try again later" conditions: SOAP Receiver/Server faults (vendor B's
  // contract: a Receiver fault with SyncFault/code VUOT_HAN_MUC and retryAfterSeconds).
  VUOT_HAN_MUC: { message: 'Vượt hạn mức gửi dữ liệu; vui lòng thử lại sau {retryAfterSeconds} giây', httpStatus: 429, side: 'server' },
  QUA_NHIEU_YEU_CAU_DONG_THOI: { message: 'Quá nhiều yêu cầu đồng thời từ cùng một mã kết nối; vui lòng thử lại sau', httpStatus: 429, side: 'server' },
  DU_LIEU_QUA_LON: { message: 'Dữ liệu gửi lên vượt quá kích thước cho phép ({limit})', httpStatus: 413, side: 'client' },
  MA_HOA_NEN_KHONG_HO_TRO: { message: 'Cổng kết nối không hỗ trợ kiểu nén dữ liệu «{encoding}» (Content-Encoding); hãy gửi dữ liệu không nén hoặc nén {supported}', httpStatus: 415, side: 'client' },
  DU_LIEU_NEN_HONG: { message: 'Dữ liệu nén ({encoding}) bị hỏng, không giải nén được', httpStatus: 400, side: 'client' },
  XML_KHONG_HOP_LE: { message: 'Nội dung XML không hợp lệ: {detail}', httpStatus: 400, side: 'client' },
  XML_BI_TU_CHOI: { message: 'Nội dung XML bị từ chối vì lý do an toàn: {detail}', httpStatus: 400, side: 'client' },
  JSON_KHONG_HOP_LE: { message: 'Nội dung JSON không hợp lệ: {detail}', httpStatus: 400, side: 'client' },
  SOAP_KHONG_HOP_LE: { message: 'Thông điệp SOAP không hợp lệ: {detail}', httpStatus: 400, side: 'client' },
  SAI_PHIEN_BAN_SOAP: { message: 'Sai phiên bản SOAP: dịch vụ này chỉ nhận {expected}', httpStatus: 400, side: 'client' },
  THAO_TAC_KHONG_TON_TAI: { message: 'Thao tác {operation} không tồn tại trong dịch vụ này', httpStatus: 400, side: 'client' },
  THOI_HAN_THONG_DIEP: { message: 'Thông điệp đã hết hạn hoặc có thời điểm tạo không hợp lệ (chống gửi lại)', httpStatus: 400, side: 'client' },
  QUA_NHIEU_BAN_GHI: { message: 'Mỗi lần gửi tối đa {limit} hồ sơ (nhận được {count})', httpStatus: 400, side: 'client' },
  KHONG_TIM_THAY: { message: 'Không tìm thấy đường dẫn {path}', httpStatus: 404, side: 'client' },
  PHUONG_THUC_KHONG_HO_TRO: { message: 'Phương thức {method} không được hỗ trợ tại {path}', httpStatus: 405, side: 'client' },
  HET_THOI_GIAN: { message: 'Yêu cầu quá thời gian xử lý cho phép', httpStatus: 408, side: 'client' },
  MA_THEO_DOI_KHONG_HOP_LE: { message: 'Mã theo dõi {trackingId} không đúng định dạng: mã do cổng kết nối cấp gồm TD và 25 chữ số hoặc chữ cái in hoa', httpStatus: 400, side: 'client' },
  QUA_NHIEU_MA_THEO_DOI: { message: 'Mỗi lần tra cứu tối đa {limit} mã theo dõi (nhận được {count})', httpStatus: 400, side: 'client' },
  GIA_TRI_QUA_DAI: { message: 'Giá trị {field} dài quá {limit} ký tự cho phép', httpStatus: 400, side: 'client' },
  // A connection key acts for its own unit (and the units below it) only.
  DON_VI_GUI_KHONG_KHOP: { message: 'Đơn vị gửi {unit} không phải đơn vị được cấp mã kết nối ({keyUnit}); mã kết nối chỉ dùng để gửi dữ liệu của chính đơn vị đó', httpStatus: 403, side: 'client' },
  DON_VI_NGOAI_PHAM_VI: { message: 'Hồ sơ thuộc đơn vị {unit}, ngoài phạm vi đơn vị {keyUnit} được cấp mã kết nối; không được gửi dữ liệu thay đơn vị khác', httpStatus: 403, side: 'client' },
  MA_THEO_DOI_KHONG_TON_TAI: { message: 'Không tìm thấy mã theo dõi {trackingId}', httpStatus: 404, side: 'client' },
  CSDL_TRUNG_UONG_KHONG_SAN_SANG: { message: 'Cơ sở dữ liệu quốc gia tạm thời không kết nối được; vui lòng thử lại sau', httpStatus: 503, side: 'server' },
  LOI_HE_THONG: { message: 'Lỗi hệ thống tại cổng kết nối; mã yêu cầu {requestId}', httpStatus: 500, side: 'server' },
  CHUA_CO_CHUNG_THU_KY: { message: 'Đơn vị {unit} chưa có chứng thư ký số hợp lệ tại cổng kết nối; quản trị viên cần chạy "ndxp certs issue-signing --unit {unit}"', httpStatus: 503, side: 'server' },
  // Admission (gateway/pipeline/stages/admission.ts): the process has its maximum of requests at work.
  CONG_KET_NOI_QUA_TAI: { message: 'Cổng kết nối đang quá tải; vui lòng thử lại sau {retryAfterSeconds} giây', httpStatus: 503, side: 'server' },
  DANG_DUNG_DICH_VU: { message: 'Cổng kết nối đang dừng để bảo trì; vui lòng thử lại sau', httpStatus: 503, side: 'server' },
  // Connection-level refusals (gateway/ratelimit/http-limits.ts), answered before any front is known.
  TIEU_DE_QUA_LON: { message: 'Phần tiêu đề (header) của yêu cầu vượt quá kích thước cho phép', httpStatus: 431, side: 'client' },
  YEU_CAU_HTTP_KHONG_HOP_LE: { message: 'Yêu cầu HTTP không hợp lệ', httpStatus: 400, side: 'client' },

  // ---- Operators (admin API and CLI). An area usually tells the operator a more precise
  // sentence (which key, which field) through OperatorError; the code and status are these.
  CHUNG_THU_QUAN_TRI_KHONG_HOP_LE: { message: 'Cần chứng thư số quản trị hợp lệ (vai trò network-admin hoặc auditor) do CA của cổng kết nối cấp', httpStatus: 401, side: 'client' },
  YEU_CAU_KHONG_HOP_LE: { message: 'Yêu cầu không hợp lệ', httpStatus: 400, side: 'client' },
  THAM_SO_KHONG_HOP_LE: { message: 'Tham số không hợp lệ', httpStatus: 400, side: 'client' },
  // Connection keys (gateway/keys/).
  KHOA_KHONG_TON_TAI: { message: 'Không tìm thấy mã kết nối {keyId}', httpStatus: 404, side: 'client' },
  KHOA_DA_HUY: { message: 'Mã kết nối {keyId} đã bị hủy (hủy là vĩnh viễn, hãy cấp mã mới)', httpStatus: 409, side: 'client' },
  TEP_NHAP_KHONG_HOP_LE: { message: 'Tệp danh sách mã kết nối không hợp lệ', httpStatus: 400, side: 'client' },
  // Abuse protection (gateway/ratelimit/): the shared lockout store.
  REDIS_KHONG_KET_NOI: { message: 'Không kết nối được Redis, nơi lưu các lệnh tạm khóa dùng chung', httpStatus: 503, side: 'server' },
  REDIS_KHONG_PHAN_HOI: { message: 'Redis, nơi lưu các lệnh tạm khóa dùng chung, nhận kết nối nhưng không trả lời', httpStatus: 503, side: 'server' },
  KHONG_TIM_THAY_TAM_KHOA: { message: 'Không có lệnh tạm khóa nào đang hiệu lực cho {id}', httpStatus: 404, side: 'client' },
  // Delivery queue (gateway/delivery/).
  NHAT_KY_KHONG_SAN_SANG: { message: 'Không ghi được nhật ký kiểm toán nên chưa thực hiện thao tác; vui lòng thử lại sau', httpStatus: 503, side: 'server' },
  KHONG_O_HANG_LOI: { message: 'Hồ sơ {trackingId} không ở hàng lỗi (dead); chỉ gửi lại được hồ sơ đã chuyển vào hàng lỗi', httpStatus: 409, side: 'client' },
  THIEU_LY_DO: { message: 'Phải nêu lý do', httpStatus: 400, side: 'client' },
  KHONG_THE_HUY: { message: 'Không hủy được hồ sơ {trackingId}', httpStatus: 409, side: 'client' },
  // Audit trail (gateway/audit/).
  NOI_DUNG_KHONG_DUOC_LUU: { message: 'Bản ghi nhật ký {seq} không lưu nội dung này', httpStatus: 404, side: 'client' },
  NOI_DUNG_BI_SUA: { message: 'Nội dung lưu của bản ghi nhật ký {seq} đã bị thay đổi', httpStatus: 409, side: 'server' },
  KHOA_MA_HOA_NHAT_KY_KHONG_HOP_LE: { message: 'Khóa mã hóa nhật ký (audit.encryptionKeys) không hợp lệ hoặc thiếu', httpStatus: 500, side: 'server' },
  // Certificates (certs/).
  PKI_CHUA_KHOI_TAO: { message: 'Chưa khởi tạo CA của cổng; chạy "ndxp certs init" (hoặc "ndxp start" lần đầu)', httpStatus: 409, side: 'server' },
  CHUNG_THU_KHONG_TON_TAI: { message: 'Không có chứng thư số sê-ri {serial}', httpStatus: 404, side: 'client' },
  CHUNG_THU_KHONG_DOC_DUOC: { message: 'Không đọc được chứng thư: cần PEM "BEGIN CERTIFICATE" hoặc DER', httpStatus: 400, side: 'client' },
  KHONG_CO_CHUNG_THU: { message: 'Không có chứng thư nào trong dữ liệu gửi lên', httpStatus: 400, side: 'client' },
  KHONG_DOC_DUOC_TEP: { message: 'Không đọc được tệp {file}', httpStatus: 400, side: 'client' },
  KHONG_PHAI_CA: { message: 'Chứng thư không phải chứng thư CA được phép ký chứng thư', httpStatus: 400, side: 'client' },
  CA_HET_HAN: { message: 'Chứng thư CA đã hết hạn', httpStatus: 400, side: 'client' },
  CHU_KY_KHONG_HOP_LE: { message: 'Chữ ký của chứng thư không hợp lệ', httpStatus: 400, side: 'client' },
  CN_KHONG_HOP_LE: { message: 'Tên chứng thư (CN) không hợp lệ: cần 1–64 ký tự, không chứa ký tự điều khiển', httpStatus: 400, side: 'client' },
  THIEU_MA_DON_VI: { message: 'Cần mã định danh đơn vị cho loại chứng thư này', httpStatus: 400, side: 'client' },
  MA_DON_VI_KHONG_HOP_LE: { message: 'Mã định danh đơn vị "{unit}" không hợp lệ (dạng 000.00.00.H29, tối đa 35 ký tự)', httpStatus: 400, side: 'client' },
  SO_NGAY_KHONG_HOP_LE: { message: 'Số ngày hiệu lực không hợp lệ (số nguyên 1–3650)', httpStatus: 400, side: 'client' },
  THOI_HAN_KHONG_HOP_LE: { message: 'Ngày hết hạn phải sau ngày bắt đầu hiệu lực', httpStatus: 400, side: 'client' },
  LOAI_CHUNG_THU_KHONG_HOP_LE: { message: 'Loại chứng thư không hợp lệ', httpStatus: 400, side: 'client' },
  VAI_TRO_KHONG_HOP_LE: { message: 'Vai trò quản trị không hợp lệ (network-admin | auditor)', httpStatus: 400, side: 'client' },
  MAT_KHAU_P12_QUA_NGAN: { message: 'Mật khẩu PKCS#12 cần ít nhất 4 ký tự', httpStatus: 400, side: 'client' },
  MAT_KHAU_KHOA_QUA_NGAN: { message: 'Mật khẩu bảo vệ khóa bí mật cần ít nhất 4 ký tự', httpStatus: 400, side: 'client' },
  P12_KHONG_HO_TRO: { message: 'Không xuất PKCS#12 cho loại chứng thư này', httpStatus: 400, side: 'client' },
  CSR_KHONG_HOP_LE: { message: 'Yêu cầu cấp chứng thư (CSR) không hợp lệ', httpStatus: 400, side: 'client' },
  KHOA_CSR_YEU: { message: 'Khóa trong CSR quá yếu hoặc không hỗ trợ (cần RSA ≥ 2048 bit hoặc ECDSA P-256/P-384/P-521)', httpStatus: 400, side: 'client' },
  SO_SERI_KHONG_HOP_LE: { message: 'Số sê-ri "{serial}" không hợp lệ (cần dạng hex)', httpStatus: 400, side: 'client' },
  LY_DO_THU_HOI_KHONG_HOP_LE: { message: 'Lý do thu hồi không hợp lệ', httpStatus: 400, side: 'client' },
  KHONG_THU_HOI_CA: { message: 'Không thu hồi CA của cổng bằng lệnh này; dùng "ndxp certs init --force" để thay CA (mọi chứng thư cũ sẽ mất hiệu lực)', httpStatus: 409, side: 'client' },
  // Units (re-mapping table and unit tree).
  DU_LIEU_DON_VI_KHONG_HOP_LE: { message: 'Dữ liệu đơn vị không hợp lệ; không có gì thay đổi', httpStatus: 422, side: 'client' },
  // Reading the centre's inventory and matching results (gateway/doi-soat/, gateway/reconcile/).
  DON_VI_KHONG_CO_TAI_TRUNG_UONG: { message: 'CSDL quốc gia không biết đơn vị này', httpStatus: 404, side: 'client' },
  CSDL_TRUNG_UONG_TU_CHOI_DOC: { message: 'CSDL quốc gia từ chối yêu cầu đọc của cổng kết nối', httpStatus: 502, side: 'server' },
  QUY_TAC_KHONG_TON_TAI: { message: 'Không có quy tắc {id}', httpStatus: 404, side: 'client' },
  // Workbooks submitted by units without connected software (adapters/excel, gateway/excel/):
  // a hostile or unreadable workbook is refused whole, before any row is read or sent.
  TEP_KHONG_PHAI_EXCEL: { message: 'Tệp gửi lên không phải sổ tính Excel .xlsx (có thể là tệp .xls cũ, tệp có mật khẩu hoặc tệp khác); hãy mở bằng Excel và lưu lại dạng .xlsx', httpStatus: 415, side: 'client' },
  EXCEL_QUA_LON: { message: 'Sổ tính quá lớn hoặc bị nén bất thường (nghi là "bom nén"); không xử lý', httpStatus: 413, side: 'client' },
  EXCEL_CO_MACRO: { message: 'Sổ tính có chứa macro (VBA); hãy lưu lại dạng .xlsx không có macro rồi gửi lại', httpStatus: 422, side: 'client' },
  EXCEL_CO_LIEN_KET_NGOAI: { message: 'Sổ tính có liên kết tới tệp khác (external links); hãy dán giá trị (Paste Values) thay cho liên kết rồi gửi lại', httpStatus: 422, side: 'client' },
  EXCEL_CO_CONG_THUC: { message: 'Ô {cell} chứa công thức; sổ tính gửi lên chỉ được chứa giá trị (hãy dán giá trị bằng Paste Values) rồi gửi lại', httpStatus: 422, side: 'client' },
  EXCEL_QUA_NHIEU_DONG: { message: 'Trang «{sheet}» có quá {limit} dòng; hãy chia thành nhiều sổ tính', httpStatus: 413, side: 'client' },
  EXCEL_SAI_MAU: { message: 'Sổ tính không theo mẫu: {detail}; hãy dùng mẫu tạo bằng "ndxp excel template"', httpStatus: 422, side: 'client' },
  EXCEL_CHUA_CO_MA_KET_NOI: { message: 'Phần mềm {software} của đơn vị {unit} chưa được cấp mã kết nối cho sổ tính Excel; cấp bằng "ndxp keys create --software {software} --unit {unit} --vendor excel"', httpStatus: 403, side: 'client' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** A refusal with its machine code and Vietnamese message; safe to show to the caller. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly side: 'client' | 'server';
  readonly retryAfterSeconds?: number;
  /** Why, for logs and metrics only (e.g. which key check failed); never sent to the caller. */
  readonly internalReason?: string;

  constructor(code: ErrorCode, params: Record<string, string | number> = {}, internalReason?: string) {
    const spec: ErrorSpec = ERRORS[code];
    super(spec.message.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? '')));
    this.name = 'GatewayError';
    this.code = code;
    this.httpStatus = spec.httpStatus;
    this.side = spec.side;
    if (typeof params.retryAfterSeconds === 'number') this.retryAfterSeconds = params.retryAfterSeconds;
    this.internalReason = internalReason;
  }

  /** "message (CODE)": how a faultstring or ThongBao reads. */
  get display(): string {
    return `${this.message} (${this.code})`;
  }
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, code);
}

/**
 * A refusal told to an operator (admin API or CLI) by an area: a catalogue code and status, with
 * the area's own precise Vietnamese sentence (which key, which field, which record) in place of
 * the catalogue's general one. Areas subclass it for their errors.
 */
export class OperatorError extends GatewayError {
  /** The HTTP status (= httpStatus), under the name the areas' errors have always had. */
  readonly status: number;

  constructor(code: ErrorCode, message: string, internalReason?: string) {
    super(code, {}, internalReason);
    this.message = message;
    this.status = this.httpStatus;
    this.name = 'OperatorError';
  }
}
