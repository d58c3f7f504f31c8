/// RADIUS wire format (RFC 2865, 2866, 2869, 3162, 3579, 5080, 5176): pure values, no I/O.
public enum RADIUS {}
