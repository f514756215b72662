using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OrleansRag.Retrieval;

/// <summary>
/// Symmetric int8 scalar quantisation per vector (the largest component becomes ±127, one float scale per vector)
/// and the integer dot product that scans such codes at a quarter of fp32's memory traffic.
/// </summary>
public static class Int8Vectors
{
    /// <summary>How far ahead of the rows being scored the scan prefetches: a few passes, measured best at 1M rows (bench <c>index</c>).</summary>
    private const int PrefetchDistance = 2048;

    /// <summary>Writes <paramref name="vector"/>'s codes into <paramref name="codes"/> and returns the scale that turns them back.</summary>
    public static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> codes)
    {
        if (codes.Length != vector.Length)
        {
            throw new ArgumentException($"{codes.Length} codes for a vector of {vector.Length} components.", nameof(codes));
        }

        var largest = vector.IsEmpty ? 0 : Math.Abs(TensorPrimitives.MaxMagnitude(vector)); // MaxMagnitude keeps the sign
        var scale = largest > 0 ? largest / 127f : 1f;
        for (var d = 0; d < vector.Length; d++)
        {
            codes[d] = (sbyte)Math.Clamp(MathF.Round(vector[d] / scale), -127, 127);
        }

        return scale;
    }

    /// <summary>
    /// Codes of <paramref name="vector"/> under a scale shared by many vectors (<paramref name="codesPerUnit"/>: codes per
    /// unit of a component; a component beyond ±127 codes is clamped), so the codes' inner products rank as the
    /// vectors' do.
    /// </summary>
    public static sbyte[] Quantize(ReadOnlySpan<float> vector, float codesPerUnit)
    {
        var codes = new sbyte[vector.Length];
        for (var d = 0; d < vector.Length; d++)
        {
            codes[d] = (sbyte)Math.Clamp(MathF.Round(vector[d] * codesPerUnit), -127, 127);
        }

        return codes;
    }

    /// <summary>The scale for <see cref="Quantize(ReadOnlySpan{float}, float)"/> that puts the largest component of <paramref name="vectors"/> at ±127.</summary>
    public static float CodesPerUnit(ReadOnlySpan<float> vectors)
    {
        var largest = vectors.IsEmpty ? 0 : Math.Abs(TensorPrimitives.MaxMagnitude(vectors)); // MaxMagnitude keeps the sign
        return largest > 0 ? 127 / largest : 127;
    }

    /// <summary>The exact integer dot product of two code vectors of equal length (AVX-512BW / AVX2 when the CPU has them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"Code vectors of {a.Length} and {b.Length} components.", nameof(b));
        }

        ref var left = ref MemoryMarshal.GetReference(a);
        ref var right = ref MemoryMarshal.GetReference(b);
        var i = 0;
        var sum = 0;
        if (Avx512BW.IsSupported && a.Length >= 32)
        {
            var accumulator = Vector512<int>.Zero;
            for (; i <= a.Length - 32; i += 32)
            {
                var x = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref left, (nuint)i));
                var y = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref right, (nuint)i));
                accumulator += Avx512BW.MultiplyAddAdjacent(x, y);
            }

            sum = Vector512.Sum(accumulator);
        }
        else if (Avx2.IsSupported && a.Length >= 16)
        {
            var accumulator = Vector256<int>.Zero;
            for (; i <= a.Length - 16; i += 16)
            {
                var x = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref left, (nuint)i));
                var y = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref right, (nuint)i));
                accumulator += Avx2.MultiplyAddAdjacent(x, y);
            }

            sum = Vector256.Sum(accumulator);
        }
        else if (Vector128.IsHardwareAccelerated && a.Length >= 16)
        {
            var accumulator = Vector128<int>.Zero;
            for (; i <= a.Length - 16; i += 16)
            {
                var (xLow, xHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref left, (nuint)i));
                var (yLow, yHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref right, (nuint)i));
                accumulator += WidenedProduct(xLow, yLow) + WidenedProduct(xHigh, yHigh);
            }

            sum = Vector128.Sum(accumulator);
        }

        for (; i < a.Length; i++)
        {
            sum += Unsafe.Add(ref left, i) * Unsafe.Add(ref right, i);
        }

        return sum;
    }

    /// <summary>The sum of a code vector's components (what <see cref="ScoreAll"/> needs per row).</summary>
    public static int Sum(ReadOnlySpan<sbyte> codes)
    {
        var sum = 0;
        foreach (var code in codes)
        {
            sum += code;
        }

        return sum;
    }

    /// <summary>
    /// Every row's approximate inner product with <paramref name="query"/> (codes of all rows, one after another): the
    /// integer dot product times the row's scale. With AVX-VNNI the query is shifted to unsigned (q + 128) so one
    /// <c>vpdpbusd</c> multiplies and adds 32 code pairs, four rows sharing each piece of the query; the shift is taken
    /// back with each row's code sum (<paramref name="sums"/>, from <see cref="Sum"/>). Otherwise row by row with <see cref="Dot"/>.
    /// </summary>
    public static void ScoreAll(ReadOnlySpan<sbyte> codes, ReadOnlySpan<float> scales, ReadOnlySpan<int> sums, ReadOnlySpan<sbyte> query, Span<float> scores)
    {
        var dimensions = query.Length;
        var count = dimensions == 0 ? 0 : codes.Length / dimensions;
        if (scales.Length < count || sums.Length < count || scores.Length < count)
        {
            throw new ArgumentException($"{count} rows need as many scales, sums and scores.", nameof(scores));
        }

        var row = AvxVnni.IsSupported && dimensions % 32 == 0 && dimensions > 0
            ? ScoreFourRowsAtATime(codes, scales, sums, query, scores, count)
            : 0;
        for (; row < count; row++)
        {
            scores[row] = Dot(codes.Slice(row * dimensions, dimensions), query) * scales[row];
        }
    }

    /// <summary>
    /// The AVX-VNNI pass of <see cref="ScoreAll"/>; returns how many rows it scored (a multiple of four). The scan is
    /// bound by memory, so each pass asks for the cache lines <see cref="PrefetchDistance"/> bytes ahead (a prefetch
    /// never faults, so running past the end of the codes is harmless), and the four dot products are reduced together
    /// and scaled as one vector.
    /// </summary>
    private static unsafe int ScoreFourRowsAtATime(ReadOnlySpan<sbyte> codes, ReadOnlySpan<float> scales, ReadOnlySpan<int> sums, ReadOnlySpan<sbyte> query, Span<float> scores, int count)
    {
        var dimensions = query.Length;
        var shifted = stackalloc byte[dimensions];
        for (var d = 0; d < dimensions; d++)
        {
            shifted[d] = (byte)(query[d] + 128);
        }

        var stride = (nuint)dimensions;
        var row = 0;
        fixed (sbyte* codeBase = codes)
        fixed (float* scaleBase = scales)
        fixed (int* sumBase = sums)
        fixed (float* scoreBase = scores)
        {
            for (; row + 4 <= count; row += 4)
            {
                var rows = (byte*)codeBase + ((nuint)row * stride);
                for (nuint line = 0; line < 4 * stride; line += 64)
                {
                    Sse.Prefetch0(rows + PrefetchDistance + line);
                }

                var a0 = Vector256<int>.Zero;
                var a1 = Vector256<int>.Zero;
                var a2 = Vector256<int>.Zero;
                var a3 = Vector256<int>.Zero;
                for (nuint d = 0; d < stride; d += 32)
                {
                    var x = Vector256.Load(shifted + d);
                    a0 = AvxVnni.MultiplyWideningAndAdd(a0, x, Vector256.Load((sbyte*)rows + d));
                    a1 = AvxVnni.MultiplyWideningAndAdd(a1, x, Vector256.Load((sbyte*)rows + stride + d));
                    a2 = AvxVnni.MultiplyWideningAndAdd(a2, x, Vector256.Load((sbyte*)rows + (2 * stride) + d));
                    a3 = AvxVnni.MultiplyWideningAndAdd(a3, x, Vector256.Load((sbyte*)rows + (3 * stride) + d));
                }

                // Horizontal adds leave the four rows' sums in one vector: [a0, a1, a2, a3].
                var pairs = Avx2.HorizontalAdd(Avx2.HorizontalAdd(a0, a1), Avx2.HorizontalAdd(a2, a3));
                var dots = pairs.GetLower() + pairs.GetUpper() - (Vector128.Load(sumBase + row) << 7);
                Vector128.Store(Vector128.ConvertToSingle(dots) * Vector128.Load(scaleBase + row), scoreBase + row);
            }
        }

        return row;
    }

    private static Vector128<int> WidenedProduct(Vector128<short> x, Vector128<short> y)
    {
        var (xLow, xHigh) = Vector128.Widen(x);
        var (yLow, yHigh) = Vector128.Widen(y);
        return (xLow * yLow) + (xHigh * yHigh);
    }
}
