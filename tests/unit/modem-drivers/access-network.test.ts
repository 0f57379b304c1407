import assert from 'node:assert/strict';
import { AccessNetworkError, eutranAccessNetworkInfo, splitPlmn } from '../../../modem-drivers/access-network.js';

describe('P-Access-Network-Info for an LTE cell (TS 24.229 7.2A.4)', () => {
  it('MCC ‖ MNC ‖ TAC (4 hex) ‖ ECI (7 hex), upper case, FDD unless told TDD', () => {
    assert.equal(eutranAccessNetworkInfo({ mcc: '001', mnc: '01', tac: 1, eci: 0x19b }), '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=001010001000019B');
    assert.equal(eutranAccessNetworkInfo({ mcc: '311', mnc: '480', tac: 0x2c34, eci: 0x1815, duplex: 'tdd' }), '3GPP-E-UTRAN-TDD; utran-cell-id-3gpp=3114802C340001815');
    assert.equal(eutranAccessNetworkInfo({ mcc: '262', mnc: '01', tac: 0xffff, eci: 0xfffffff }), '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=26201FFFFFFFFFFF');
  });

  it('refuses values no cell has', () => {
    for (const bad of [
      { mcc: '01', mnc: '01', tac: 1, eci: 1 },
      { mcc: '001', mnc: '1', tac: 1, eci: 1 },
      { mcc: '001', mnc: '01', tac: 0x10000, eci: 1 },
      { mcc: '001', mnc: '01', tac: 1, eci: 0x10000000 },
      { mcc: '001', mnc: '01', tac: -1, eci: 1 },
      { mcc: '001', mnc: '01', tac: 1.5, eci: 1 },
    ]) assert.throws(() => eutranAccessNetworkInfo(bad), AccessNetworkError, JSON.stringify(bad));
  });

  it('splits a numeric PLMN', () => {
    assert.deepEqual(splitPlmn('00101'), { mcc: '001', mnc: '01' });
    assert.deepEqual(splitPlmn('310410'), { mcc: '310', mnc: '410' });
    assert.throws(() => splitPlmn('0010'), AccessNetworkError);
    assert.throws(() => splitPlmn('00101a'), AccessNetworkError);
  });
});
