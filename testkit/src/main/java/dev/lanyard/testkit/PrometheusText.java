package dev.lanyard.testkit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Prometheus text exposition (what {@code /metrics} returns), parsed into samples, so a test or a
 * benchmark can take the difference of two scrapes: a counter's sum, or a histogram's buckets and
 * its quantiles (interpolated inside a bucket, as PromQL's {@code histogram_quantile} does).
 */
public final class PrometheusText {
  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})?\\s+(\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** One sample line: metric name, labels, value. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples;

  private PrometheusText(List<Sample> samples) {
    this.samples = List.copyOf(samples);
  }

  public static PrometheusText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      if (!m.find()) {
        continue;
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(2) != null) {
        Matcher label = LABEL.matcher(m.group(2));
        while (label.find()) {
          labels.put(label.group(1), label.group(2));
        }
      }
      samples.add(new Sample(m.group(1), labels, value(m.group(3))));
    }
    return new PrometheusText(samples);
  }

  public List<Sample> samples() {
    return samples;
  }

  /** The sum of every sample named {@code name} whose labels pass {@code labels}. */
  public double sum(String name, Predicate<Map<String, String>> labels) {
    return samples.stream()
        .filter(s -> s.name().equals(name) && labels.test(s.labels()))
        .mapToDouble(Sample::value)
        .sum();
  }

  public double sum(String name) {
    return sum(name, labels -> true);
  }

  /**
   * The classic histogram {@code name} (its {@code _bucket} samples), summed over every label set
   * that passes {@code labels}.
   */
  public Histogram histogram(String name, Predicate<Map<String, String>> labels) {
    TreeMap<Double, Double> cumulative = new TreeMap<>();
    for (Sample s : samples) {
      if (s.name().equals(name + "_bucket") && s.labels().containsKey("le") && labels.test(s.labels())) {
        cumulative.merge(value(s.labels().get("le")), s.value(), Double::sum);
      }
    }
    return new Histogram(cumulative);
  }

  public Histogram histogram(String name) {
    return histogram(name, labels -> true);
  }

  private static double value(String text) {
    return switch (text) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(text);
    };
  }

  /** Cumulative counts by upper bound ({@code le}), in the histogram's unit (seconds here). */
  public record Histogram(NavigableMap<Double, Double> cumulative) {
    /** This scrape minus an earlier one: what was observed in between. */
    public Histogram minus(Histogram earlier) {
      TreeMap<Double, Double> delta = new TreeMap<>();
      cumulative.forEach((le, count) ->
          delta.put(le, count - earlier.cumulative().getOrDefault(le, 0.0)));
      return new Histogram(delta);
    }

    public double count() {
      return cumulative.isEmpty() ? 0 : cumulative.lastEntry().getValue();
    }

    /** The share (0-1) of observations at most {@code bound}, which must be a bucket bound. */
    public double shareWithin(double bound) {
      Double within = cumulative.get(bound);
      if (within == null) {
        throw new IllegalArgumentException(bound + " is not a bucket bound of " + cumulative.keySet());
      }
      return count() == 0 ? Double.NaN : within / count();
    }

    /**
     * The q-quantile (0-1), linear inside the bucket it falls in (from the previous bound, or 0,
     * to the bucket's bound), as {@code histogram_quantile} does; NaN with no observations, the
     * highest finite bound when it falls in +Inf.
     */
    public double quantile(double q) {
      double total = count();
      if (total == 0) {
        return Double.NaN;
      }
      double rank = q * total;
      double lowerBound = 0;
      double lowerCount = 0;
      for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
        if (bucket.getValue() >= rank) {
          if (bucket.getKey().isInfinite()) {
            return lowerBound;
          }
          double inBucket = bucket.getValue() - lowerCount;
          return inBucket <= 0 ? bucket.getKey()
              : lowerBound + (bucket.getKey() - lowerBound) * (rank - lowerCount) / inBucket;
        }
        lowerBound = bucket.getKey();
        lowerCount = bucket.getValue();
      }
      return lowerBound;
    }

    /** The bucket that holds the q-quantile, as "(lower, upper]" in milliseconds. */
    public String quantileBucketMillis(double q) {
      double rank = q * count();
      double lower = 0;
      for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
        if (bucket.getValue() >= rank) {
          return "(" + millis(lower) + ", " + (bucket.getKey().isInfinite() ? "+Inf"
              : millis(bucket.getKey())) + "] ms";
        }
        lower = bucket.getKey();
      }
      return "?";
    }

    private static String millis(double seconds) {
      double ms = seconds * 1000;
      return ms == Math.rint(ms) ? Long.toString((long) ms) : Double.toString(ms);
    }
  }
}
