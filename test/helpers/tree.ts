/** Units of the current tree that the contract samples end up in after re-mapping. */
export const SAMPLE_TREE = [
  { maDinhDanh: '000.00.00.H06', ten: 'UBND tỉnh (mới)', cap: 1, hieuLucTu: '2025-07-01', maCu: ['000.00.00.H03', '000.12.00.H03'] },
  { maDinhDanh: '000.05.31.H06', ten: 'Sở Nội vụ', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01', maCu: ['000.05.31.H03'] },
];
