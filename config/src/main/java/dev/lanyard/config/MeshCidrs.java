package dev.lanyard.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code LANYARD_MESH_CIDRS}: the cluster's service and pod address ranges, e.g. {@code
 * 10.96.0.0/12,10.244.0.0/16}. An IP address inside one of them is a mesh destination; with the
 * list set, an IP address outside all of them is not. Only IP literals are parsed: a text that is
 * not one is never resolved through DNS.
 */
public final class MeshCidrs {
  public static final MeshCidrs NONE = new MeshCidrs(Collections.<Range>emptyList());

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

  private final List<Range> ranges;

  private MeshCidrs(List<Range> ranges) {
    this.ranges = Collections.unmodifiableList(new ArrayList<>(ranges));
  }

  /** Parses a comma list of CIDRs; every error names the entry, the rule and an example. */
  public static MeshCidrs parse(String text) {
    List<Range> ranges = new ArrayList<>();
    for (String item : CommaList.entries(text)) {
      int slash = item.indexOf('/');
      Optional<InetAddress> base = slash < 0 ? Optional.empty() : ipLiteral(item.substring(0, slash));
      int bits = slash < 0 ? -1 : prefix(item.substring(slash + 1));
      if (!base.isPresent() || bits < 0 || bits > base.get().getAddress().length * 8) {
        throw new IllegalArgumentException("mesh CIDR \"" + item + "\" in "
            + ConfigKeys.MESH_CIDRS.env() + " is not address/prefix-length; write the cluster's"
            + " service and pod ranges, e.g. 10.96.0.0/12,10.244.0.0/16,fd00:10:96::/108");
      }
      ranges.add(new Range(item, base.get().getAddress(), bits));
    }
    return ranges.isEmpty() ? NONE : new MeshCidrs(ranges);
  }

  /**
   * The address {@code text} writes, when it is an IPv4 or IPv6 literal ({@code [v6]} and a zone
   * {@code %eth0} allowed); empty for a host name. Never a DNS lookup.
   */
  public static Optional<InetAddress> ipLiteral(String text) {
    if (text == null) {
      return Optional.empty();
    }
    String value = text.trim();
    if (value.startsWith("[") && value.endsWith("]")) {
      value = value.substring(1, value.length() - 1);
    }
    int zone = value.indexOf('%');
    if (zone >= 0) {
      value = value.substring(0, zone);
    }
    boolean v4 = IPV4.matcher(value).matches();
    if (!v4 && !IPV6.matcher(value).matches()) {
      return Optional.empty();
    }
    if (v4) {
      for (String octet : value.split("\\.")) {
        if (Integer.parseInt(octet) > 255) {
          return Optional.empty();
        }
      }
    }
    try {
      // A literal (checked above) is parsed, not looked up.
      return Optional.of(InetAddress.getByName(value));
    } catch (UnknownHostException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static int prefix(String text) {
    if (text.isEmpty() || text.length() > 3 || !text.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    return Integer.parseInt(text);
  }

  public boolean isEmpty() {
    return ranges.isEmpty();
  }

  /** The first range (as written) that holds {@code address}; empty when none does. */
  public Optional<String> match(InetAddress address) {
    if (address == null) {
      return Optional.empty();
    }
    byte[] bytes = address.getAddress();
    for (Range range : ranges) {
      if (range.contains(bytes)) {
        return Optional.of(range.text);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    for (Range range : ranges) {
      out.append(out.length() == 0 ? "" : ",").append(range.text);
    }
    return out.toString();
  }

  private static final class Range {
    final String text;
    final byte[] base;
    final int bits;

    Range(String text, byte[] base, int bits) {
      this.text = text;
      this.base = base;
      this.bits = bits;
    }

    boolean contains(byte[] address) {
      if (address.length != base.length) {
        return false;
      }
      for (int i = 0; i < bits; i++) {
        int mask = 0x80 >> (i % 8);
        if ((address[i / 8] & mask) != (base[i / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }
}
