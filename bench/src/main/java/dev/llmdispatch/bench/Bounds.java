package dev.llmdispatch.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The bounds a benchmark's figures are held to (the performance goals, on the machine it runs on), printed with its output:
 * each figure beside its bound, and whether it is met. Performance is judged here, not in timed tests.
 */
public final class Bounds {

    private record Line(String what, String bound, String value, boolean met) {}

    private final List<Line> lines = new ArrayList<>();

    /** {@code value} must be at most {@code bound}. */
    public Bounds atMost(String what, double value, double bound, String unit) {
        lines.add(new Line(what, "≤ " + number(bound) + unit, number(value) + unit, value <= bound));
        return this;
    }

    /** {@code value} must be at least {@code bound}. */
    public Bounds atLeast(String what, double value, double bound, String unit) {
        lines.add(new Line(what, "≥ " + number(bound) + unit, number(value) + unit, value >= bound));
        return this;
    }

    /** Whether every bound so far is met. */
    public boolean allMet() {
        return lines.stream().allMatch(Line::met);
    }

    /** Prints the table under a heading; nothing when no bound was added. */
    public void print(String heading) {
        if (lines.isEmpty()) {
            return;
        }
        int width = lines.stream()
                .mapToInt(l -> l.what().length() + l.bound().length() + 1)
                .max()
                .orElse(0);
        System.out.printf("%n%s%n", heading);
        for (Line l : lines) {
            String left = l.what() + " " + l.bound();
            System.out.printf(
                    Locale.ROOT, "  %-" + width + "s   %-10s %s%n", left, l.value(), l.met() ? "met" : "NOT MET");
        }
    }

    private static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 10 ? "%.1f" : "%.2f", v);
    }
}
