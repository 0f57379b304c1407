import { strict as assert } from 'node:assert';
import { readPolicy, renderPolicy } from '../../../../daemon/dbus/policy.js';

describe('dbus: the policy file', () => {
  it('ships with group radio and can name another group', async () => {
    const shipped = await readPolicy();
    assert.match(shipped, /<policy group="radio">/);
    assert.match(shipped, /<policy user="root">\s*<allow own="org\.imsd"\/>\s*<allow own="org\.ofono"\/>/);
    const other = renderPolicy(shipped, 'telephony');
    assert.match(other, /<policy group="telephony">/);
    assert.doesNotMatch(other, /group="radio"/);
  });

  it('refuses a group name that could break the XML', () => {
    assert.throws(() => renderPolicy('<policy group="radio">', 'a"/><allow own="*'), RangeError);
  });
});
