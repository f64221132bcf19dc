package dev.lanyard.webhook.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Durations as kubectl takes them (90s, 15m, 2h, 1h30m): audit --since, check's limits. */
final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern WHOLE = Pattern.compile("(\\d+[hms])+");
  private static final Pattern PART = Pattern.compile("(\\d+)([hms])");

  @Override
  public Duration convert(String value) {
    if (!WHOLE.matcher(value).matches()) {
      throw new TypeConversionException(
          "\"" + value + "\" is not a duration; write e.g. 90s, 15m, 2h or 1h30m");
    }
    Duration total = Duration.ZERO;
    Matcher part = PART.matcher(value);
    while (part.find()) {
      long amount = Long.parseLong(part.group(1));
      total =
          total.plus(
              switch (part.group(2)) {
                case "h" -> Duration.ofHours(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofSeconds(amount);
              });
    }
    if (total.isZero()) {
      throw new TypeConversionException(value + " is zero; give a positive duration");
    }
    return total;
  }
}
