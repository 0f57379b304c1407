// Linux errno names for the errors the XFRM netlink interface returns (asm-generic/errno*.h).
const NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST',
  19: 'ENODEV', 22: 'EINVAL', 28: 'ENOSPC', 71: 'EPROTO', 90: 'EMSGSIZE', 93: 'EPROTONOSUPPORT',
  95: 'EOPNOTSUPP', 97: 'EAFNOSUPPORT', 105: 'ENOBUFS', 110: 'ETIMEDOUT',
};

export function errnoName(errno: number): string {
  return NAMES[errno] ?? `E#${errno}`;
}
