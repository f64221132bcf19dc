package dev.lanyard.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Medians and ranges of small samples: the only statistics a noisy shared machine supports. */
final class Stats {
  private Stats() {}

  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  static double min(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }

  static double max(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
  }

  /** Pair by pair {@code a[i] / b[i]}: a ratio survives the machine's speed drifting between pairs. */
  static List<Double> ratios(List<Double> a, List<Double> b) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      out.add(a.get(i) / b.get(i));
    }
    return out;
  }

  /** Pair by pair {@code a[i] - b[i]}. */
  static List<Double> differences(List<Double> a, List<Double> b) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      out.add(a.get(i) - b.get(i));
    }
    return out;
  }

  /** "median (min–max)" with the given number of decimals. */
  static String summary(List<Double> values, int decimals) {
    return format(median(values), decimals) + " (" + format(min(values), decimals) + "–"
        + format(max(values), decimals) + ")";
  }

  static String format(double value, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }
}
