using System.Globalization;

namespace Lux.Samples.KeyValueStore;

/// <summary>A small <c>--name value</c> / <c>--flag</c> parser that refuses options it does not know.</summary>
public sealed class SampleArguments
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Parses <paramref name="args"/>; <paramref name="options"/> take a value, <paramref name="flags"/> do not.</summary>
    /// <exception cref="ArgumentException">An unknown option, a stray word, a missing value.</exception>
    public SampleArguments(IEnumerable<string> args, IReadOnlyCollection<string> options, IReadOnlyCollection<string> flags)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (flags.Contains(arg, StringComparer.OrdinalIgnoreCase)) _values[arg] = null;
            else if (options.Contains(arg, StringComparer.OrdinalIgnoreCase))
                _values[arg] = e.MoveNext() ? e.Current : throw new ArgumentException($"{arg} needs a value.");
            else throw new ArgumentException($"'{arg}' is not an option here (options: {string.Join(", ", options.Concat(flags))}).");
        }
    }

    /// <summary>Whether the flag or option was given.</summary>
    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>The option's value, or <paramref name="fallback"/>.</summary>
    public string Text(string name, string fallback) => _values.TryGetValue(name, out var value) && value is not null ? value : fallback;

    /// <summary>The option's value as a whole number in [<paramref name="min"/>, <paramref name="max"/>], or <paramref name="fallback"/>.</summary>
    /// <exception cref="ArgumentException">Not a number, or out of range.</exception>
    public int Number(string name, int fallback, int min, int max)
    {
        if (!_values.TryGetValue(name, out var text) || text is null) return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{name} {text} is not a whole number in {min}..{max}.");
    }
}
