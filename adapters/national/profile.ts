/**
 * The national profile record (contracts: profile.schema.json) and unit (unit.schema.json) as
 * TypeScript types. Field names are the contract's Vietnamese ones.
 */
export interface DiaChi { maTinh?: string; maXa?: string; diaChi?: string }

export interface ChuKySo { thuatToan: 'RS256' | 'ES256'; chungThu: string; giaTri: string; thoiDiemKy?: string }

export interface HoSo {
  soDinhDanh: string;
  soHieu?: string;
  hoVaTen: string;
  tenGoiKhac?: string;
  ngaySinh: string;
  gioiTinh: 0 | 1 | 2;
  danToc: string;
  tonGiao?: string;
  noiSinh?: DiaChi;
  queQuan?: DiaChi;
  noiThuongTru?: DiaChi;
  noiOHienNay?: DiaChi;
  soBHXH?: string;
  ngayTuyenDung?: string;
  donVi: { maDinhDanh: string; ten?: string };
  viTriViecLam?: string;
  chucVu?: { ten: string; kiemNhiem?: boolean; heSoPhuCap?: number; tuNgay?: string }[];
  ngachChucDanh: { ma: string; ten?: string; ngayBoNhiem?: string };
  luong: { bac: number; heSo: number; ngayHuong?: string; phanTramVuotKhung?: number };
  trinhDo?: {
    giaoDucPhoThong?: string;
    chuyenMonCaoNhat?: string;
    lyLuanChinhTri?: 'SO_CAP' | 'TRUNG_CAP' | 'CAO_CAP' | 'CU_NHAN';
    quanLyNhaNuoc?: string;
    ngoaiNgu?: string[];
    tinHoc?: string;
  };
  dang?: { ngayVaoDang?: string; ngayChinhThuc?: string };
  quaTrinhCongTac?: { tuThang: string; denThang?: string; noiDung: string; maDinhDanhDonVi?: string }[];
  khenThuong?: { hinhThuc: string; nam: number; soQuyetDinh?: string; noiDung?: string }[];
  kyLuat?: { hinhThuc: string; ngayQuyetDinh: string; soQuyetDinh?: string; lyDo?: string }[];
  danhGia?: { nam: number; xepLoai: 'HTXSNV' | 'HTTNV' | 'HTNV' | 'KHTNV' }[];
  ngayCapNhat: string;
  nguon?: { maPhanMem?: string; maDonViGui?: string; dinhDangGoc?: string };
  chuKySo: ChuKySo;
}

/** A record before signing: everything but chuKySo. */
export type HoSoChuaKy = Omit<HoSo, 'chuKySo'>;

export interface DonVi {
  maDinhDanh: string;
  ten: string;
  maDonViCha?: string;
  cap: number;
  hieuLucTu: string;
  hieuLucDen?: string;
  maCu?: string[];
  ngayCapNhat?: string;
}

/** The central API's per-record answer (components.schemas.KetQua). */
export interface KetQua {
  trangThai: 'DA_TAO' | 'DA_CAP_NHAT' | 'KHONG_DOI' | 'PHIEN_BAN_CU' | 'KHONG_HOP_LE';
  soDinhDanh?: string;
  maDinhDanh?: string;
  phienBan?: string;
  loi?: { truong?: string; ma: string; moTa: string }[];
}
