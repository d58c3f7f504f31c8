/// LDAP wire format (RFC 4511, 4513, 4514, 4515, 4532): pure values, no I/O.
public enum LDAP {}
