using System.Globalization;
using System.Text;

namespace Lux.Benchmarks;

/// <summary>Writes the one-JSON-line-per-point format every scenario prints: bench, system, parameters, then figures.</summary>
public static class BenchOutput
{
    public static void Line(string bench, string system, params (string Name, object Value)[] fields)
    {
        var sb = new StringBuilder();
        sb.Append("{\"bench\":\"").Append(bench).Append("\",\"system\":\"").Append(system).Append('"');
        foreach (var (name, value) in fields)
        {
            sb.Append(",\"").Append(name).Append("\":");
            sb.Append(value switch
            {
                string s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
                bool b => b ? "true" : "false",
                double d => Math.Round(d, 3).ToString(CultureInfo.InvariantCulture),
                float f => Math.Round(f, 3).ToString(CultureInfo.InvariantCulture),
                IFormattable n => n.ToString(null, CultureInfo.InvariantCulture),
                _ => "\"" + value + "\"",
            });
        }
        sb.Append('}');
        Console.WriteLine(sb.ToString());
    }

    /// <summary>Reads "--name value" from an argument list.</summary>
    public static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, "--" + name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>Reads "--name 1,2,3" as integers, or <paramref name="fallback"/> when absent.</summary>
    public static int[] Ints(string[] args, string name, string fallback) =>
        (Option(args, name) ?? fallback).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Reads "--name 2.5" as seconds, or <paramref name="fallback"/> when absent.</summary>
    public static TimeSpan Seconds(string[] args, string name, string fallback) =>
        TimeSpan.FromSeconds(double.Parse(Option(args, name) ?? fallback, CultureInfo.InvariantCulture));

    /// <summary>Removes a scenario's data directory, saying so on standard error when it cannot.</summary>
    public static void DeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"could not remove {path}: {e.Message}");
        }
    }

    public static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1 < 0 ? 0 : (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
