using System.Runtime.InteropServices;
using Google.Protobuf;

namespace OrleansRag.Embedding.Onnx;

/// <summary>What <see cref="OnnxQuantizer.QuantizeDynamic"/> did.</summary>
public sealed record QuantizationReport(int MatMuls, long BytesBefore, long BytesAfter);

/// <summary>
/// Dynamic int8 quantisation of an ONNX model in C#, the scheme ONNX Runtime's own tooling uses for transformers:
/// every <c>MatMul</c> whose second input is an fp32 weight matrix becomes
/// <c>DynamicQuantizeLinear(A) → MatMulInteger(A_q, W_q) → Cast → Mul(A_scale × W_scale)</c>, with the weights
/// quantised once, symmetrically, per output column (int8, zero point 0) and the activations per call (uint8).
/// ONNX Runtime fuses the pattern into its integer kernels. Everything else (embeddings, layer norms, softmax)
/// stays fp32. No Python at run time.
/// </summary>
public static class OnnxQuantizer
{
    private const int Float = 1;
    private const int Int8 = 3;

    /// <summary>Reads <paramref name="modelPath"/>, writes the quantised model to <paramref name="outputPath"/>.</summary>
    public static QuantizationReport QuantizeDynamic(string modelPath, string outputPath)
    {
        var bytes = File.ReadAllBytes(modelPath);
        var model = ModelProto.Parser.ParseFrom(bytes);
        if (model.OpsetImport.FirstOrDefault(o => string.IsNullOrEmpty(o.Domain)) is { Version: < 11 } opset)
        {
            throw new InvalidOperationException($"The model imports ONNX opset {opset.Version}; dynamic quantisation needs 11 or later.");
        }

        var matMuls = Quantize(model);
        var output = model.ToByteArray();
        var temporary = outputPath + ".tmp";
        File.WriteAllBytes(temporary, output);
        File.Move(temporary, outputPath, overwrite: true); // readers never see half a model
        return new QuantizationReport(matMuls, bytes.LongLength, output.LongLength);
    }

    /// <summary>Rewrites the graph of <paramref name="model"/> in place; returns the number of MatMul nodes quantised.</summary>
    internal static int Quantize(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph ?? throw new InvalidOperationException("The model has no graph.");
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var quantizedWeights = new Dictionary<string, (string Values, string Scale, string ZeroPoint)>(StringComparer.Ordinal);
        var quantizedActivations = new Dictionary<string, (string Values, string Scale, string ZeroPoint)>(StringComparer.Ordinal);
        var nodes = new List<NodeProto>();
        var count = 0;
        foreach (var node in graph.Node)
        {
            if (node.OpType != "MatMul" || !string.IsNullOrEmpty(node.Domain) || node.Input.Count != 2
                || !initializers.TryGetValue(node.Input[1], out var weight) || weight.DataType != Float || weight.Dims.Count != 2)
            {
                nodes.Add(node);
                continue;
            }

            if (!quantizedWeights.TryGetValue(weight.Name, out var w))
            {
                w = QuantizeWeight(weight, graph);
                quantizedWeights[weight.Name] = w;
            }

            var input = node.Input[0];
            if (!quantizedActivations.TryGetValue(input, out var a))
            {
                a = ($"{input}_quantized", $"{input}_scale", $"{input}_zero_point");
                nodes.Add(Node("DynamicQuantizeLinear", $"{input}_DynamicQuantizeLinear", [input], [a.Values, a.Scale, a.ZeroPoint]));
                quantizedActivations[input] = a;
            }

            var output = node.Output[0];
            var name = string.IsNullOrEmpty(node.Name) ? output : node.Name;
            nodes.Add(Node("MatMulInteger", $"{name}_MatMulInteger", [a.Values, w.Values, a.ZeroPoint, w.ZeroPoint], [$"{output}_int32"]));
            var cast = Node("Cast", $"{name}_Cast", [$"{output}_int32"], [$"{output}_float"]);
            cast.Attribute.Add(new AttributeProto { Name = "to", Type = 2, I = Float }); // type 2: INT
            nodes.Add(cast);
            nodes.Add(Node("Mul", $"{name}_ScaleMul", [a.Scale, w.Scale], [$"{output}_scale"]));
            nodes.Add(Node("Mul", $"{name}_Mul", [$"{output}_float", $"{output}_scale"], [output]));
            count++;
        }

        graph.Node.Clear();
        graph.Node.AddRange(nodes);

        // The fp32 weights nothing reads any more are dropped (older exports also list initializers as graph inputs).
        var used = nodes.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        var unused = quantizedWeights.Keys.Where(name => !used.Contains(name)).ToHashSet(StringComparer.Ordinal);
        RemoveWhere(graph.Initializer, t => unused.Contains(t.Name));
        RemoveWhere(graph.Input, i => unused.Contains(i.Name));
        return count;
    }

    /// <summary>Per output column: scale = max |w| / 127, codes = round(w / scale); adds the three initializers.</summary>
    private static (string Values, string Scale, string ZeroPoint) QuantizeWeight(TensorProto weight, GraphProto graph)
    {
        var rows = checked((int)weight.Dims[0]);
        var columns = checked((int)weight.Dims[1]);
        var values = weight.RawData.Length > 0
            ? MemoryMarshal.Cast<byte, float>(weight.RawData.Span).ToArray()
            : [.. weight.FloatData];
        if (values.Length != rows * columns)
        {
            throw new InvalidOperationException($"Weight {weight.Name} holds {values.Length} values for dims [{rows}, {columns}] (external data is not supported).");
        }

        var scales = new float[columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                scales[c] = Math.Max(scales[c], Math.Abs(values[(r * columns) + c]));
            }
        }

        for (var c = 0; c < columns; c++)
        {
            scales[c] = scales[c] > 0 ? scales[c] / 127f : 1f;
        }

        var codes = new sbyte[values.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                codes[(r * columns) + c] = (sbyte)Math.Clamp(MathF.Round(values[(r * columns) + c] / scales[c]), -127, 127);
            }
        }

        var names = ($"{weight.Name}_quantized", $"{weight.Name}_scale", $"{weight.Name}_zero_point");
        graph.Initializer.Add(Tensor(names.Item1, Int8, [rows, columns], MemoryMarshal.AsBytes(codes.AsSpan())));
        graph.Initializer.Add(Tensor(names.Item2, Float, [columns], MemoryMarshal.AsBytes(scales.AsSpan())));
        graph.Initializer.Add(Tensor(names.Item3, Int8, [columns], new byte[columns]));
        return names;
    }

    private static TensorProto Tensor(string name, int dataType, long[] dims, ReadOnlySpan<byte> raw)
    {
        var tensor = new TensorProto { Name = name, DataType = dataType, RawData = ByteString.CopyFrom(raw) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    private static NodeProto Node(string opType, string name, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }

    private static void RemoveWhere<T>(Google.Protobuf.Collections.RepeatedField<T> field, Func<T, bool> predicate)
    {
        var kept = field.Where(item => !predicate(item)).ToList();
        field.Clear();
        field.AddRange(kept);
    }
}
