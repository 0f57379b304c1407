// oFono's D-Bus names as its doc/*-api.txt spell them (upstream 1.31, identical in the Ubuntu Touch
// and Sailfish forks for everything used here).
export const OFONO_SERVICE = 'org.ofono';
export const MANAGER = 'org.ofono.Manager';
export const MODEM = 'org.ofono.Modem';
export const SIM_MANAGER = 'org.ofono.SimManager';
export const NETWORK_REGISTRATION = 'org.ofono.NetworkRegistration';
export const CONNECTION_MANAGER = 'org.ofono.ConnectionManager';
export const CONNECTION_CONTEXT = 'org.ofono.ConnectionContext';

/** doc/connman-api.txt: ConnectionContext Type of the IMS PDN */
export const IMS_CONTEXT_TYPE = 'ims';
/** the APN set on an IMS context imsd creates (oFono's AddContext leaves it empty; GSMA IR.92 4.3: "ims") */
export const IMS_APN = 'ims';

/** oFono error names the driver reacts to (src/dbus.c __ofono_error_*) */
export const ERROR_NOT_ATTACHED = 'org.ofono.Error.NotAttached';
export const ERROR_ATTACH_IN_PROGRESS = 'org.ofono.Error.AttachInProgress';
export const ERROR_IN_PROGRESS = 'org.ofono.Error.InProgress';
