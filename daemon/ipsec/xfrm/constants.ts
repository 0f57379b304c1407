// Numbers of the Linux XFRM netlink interface (include/uapi/linux/xfrm.h, linux/netlink.h).

export const NETLINK_XFRM = 6;

// nlmsghdr flags
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;

// generic message types
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

// XFRM message types
export const XFRM_MSG_NEWSA = 0x10;
export const XFRM_MSG_DELSA = 0x11;
export const XFRM_MSG_GETSA = 0x12;
export const XFRM_MSG_NEWPOLICY = 0x13;
export const XFRM_MSG_DELPOLICY = 0x14;
export const XFRM_MSG_GETPOLICY = 0x15;

// attributes
export const XFRMA_ALG_CRYPT = 2;
export const XFRMA_TMPL = 5;
export const XFRMA_SRCADDR = 13;
export const XFRMA_ALG_AUTH_TRUNC = 20;

export const XFRM_MODE_TRANSPORT = 0;
export const XFRM_POLICY_IN = 0;
export const XFRM_POLICY_OUT = 1;
export const XFRM_POLICY_ALLOW = 0;

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ESP = 50;

export const AF_INET = 2;
export const AF_INET6 = 10;

/** XFRM_INF: no lifetime limit */
export const XFRM_INF = 0xffffffffffffffffn;

// struct sizes (x86_64/arm64 alignment; identical on the 32-bit ABIs the kernel's compat layer accepts)
export const NLMSG_HDRLEN = 16;
export const SELECTOR_LEN = 56;
export const USERSA_INFO_LEN = 224;
export const USERSA_ID_LEN = 24;
export const USERPOLICY_INFO_LEN = 168;
export const USERPOLICY_ID_LEN = 64;
export const USER_TMPL_LEN = 64;
export const ALG_NAME_LEN = 64;
