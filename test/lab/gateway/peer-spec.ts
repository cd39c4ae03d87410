// The GATT layout of gatt-peer.ts, shared with the test (importing gatt-peer.js would run it).
export const PEER = {
  service: '6e5a0001-8b3c-4d1e-9f00-b1e4b17e0001',
  read: '6e5a0002-8b3c-4d1e-9f00-b1e4b17e0001',
  write: '6e5a0003-8b3c-4d1e-9f00-b1e4b17e0001',
  notify: '6e5a0004-8b3c-4d1e-9f00-b1e4b17e0001',
  readValue: 'gateway peer',
};
