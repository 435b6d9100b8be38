/**
 * What the simulated central database says when it refuses something: a stable machine code and
 * the Vietnamese text an operator reads, in the shape of the contract's `Loi` / `ChiTietLoi`
 * (`{ma, moTa, loi?}`). The codes are the ones the contract names where it names any.
 */

export interface ChiTietLoi {
  /** JSON Pointer to the field, e.g. /luong/heSo. */
  truong?: string;
  ma: string;
  moTa: string;
}

export interface LoiBody {
  ma: string;
  moTa: string;
  loi?: ChiTietLoi[];
  [extra: string]: unknown;
}

export const MESSAGES = {
  CHUA_XAC_THUC: 'Thiếu hoặc sai tiêu đề Authorization: Bearer <mã truy cập>',
  THIEU_MA_DON_VI: 'Thiếu tiêu đề X-Ma-Don-Vi (mã đơn vị gọi thay)',
  KHOA_LUY_DANG_KHONG_HOP_LE: 'Tiêu đề Idempotency-Key bắt buộc với thao tác ghi và phải dài từ 16 đến 128 ký tự',
  KHOA_TRUNG: 'Idempotency-Key này đã được dùng cho một yêu cầu có nội dung khác',
  JSON_KHONG_HOP_LE: 'Nội dung yêu cầu không phải JSON hợp lệ',
  KIEU_NOI_DUNG_KHONG_HO_TRO: 'Nội dung yêu cầu phải có kiểu application/json',
  DU_LIEU_KHONG_HOP_LE: 'Dữ liệu gửi lên không đúng cấu trúc quy định',
  DU_LIEU_QUA_LON: 'Dữ liệu gửi lên vượt quá kích thước cho phép',
  KHONG_HOP_LE: 'Hồ sơ không hợp lệ',
  DON_VI_KHONG_HOP_LE: 'Thông tin đơn vị không hợp lệ',
  CHU_KY_SAI: 'Chữ ký số của hồ sơ không hợp lệ',
  PHIEN_BAN_CU: 'Dữ liệu gửi lên cũ hơn phiên bản đang lưu; không thay đổi gì',
  KHONG_TIM_THAY: 'Không tìm thấy dữ liệu yêu cầu',
  KHONG_TIM_THAY_DUONG_DAN: 'Không có dịch vụ tại đường dẫn này',
  PHUONG_THUC_KHONG_HO_TRO: 'Phương thức không được hỗ trợ tại đường dẫn này',
  THAM_SO_KHONG_HOP_LE: 'Tham số truy vấn không hợp lệ',
  QUA_TAI: 'Hệ thống đang quá tải; vui lòng thử lại sau',
  TAM_DUNG_DICH_VU: 'Hệ thống tạm thời không phục vụ (bảo trì); vui lòng thử lại sau',
  LOI_HE_THONG: 'Lỗi hệ thống tại cơ sở dữ liệu quốc gia',
  KHONG_DUOC_PHEP: 'Chứng thư số của bên gọi không phải của cổng kết nối đã đăng ký với cơ sở dữ liệu quốc gia',
} as const;

export type MessageCode = keyof typeof MESSAGES;

export function loi(code: MessageCode, details?: ChiTietLoi[], extra: Record<string, unknown> = {}): LoiBody {
  const body: LoiBody = { ma: code, moTa: MESSAGES[code], ...extra };
  if (details && details.length > 0) body.loi = details;
  return body;
}
