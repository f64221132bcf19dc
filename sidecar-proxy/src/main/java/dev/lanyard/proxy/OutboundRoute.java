package dev.lanyard.proxy;

/** One {@code LANYARD_OUTBOUND} entry: plain TCP on {@code listen}, mTLS to {@code upstream}. */
record OutboundRoute(HostAndPort listen, HostAndPort upstream) {
  @Override
  public String toString() {
    return listen + "=" + upstream;
  }
}
