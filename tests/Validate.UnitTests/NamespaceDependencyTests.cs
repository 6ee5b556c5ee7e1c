using Mono.Cecil;
using Mono.Cecil.Cil;
using NUnit.Framework;

namespace Validate.UnitTests;

/// <summary>
/// The engine's folders (one namespace each; a subfolder counts as its folder) depend on each other in one direction only: a cycle
/// between two of them means neither can change alone. Read from the compiled IL (Mono.Cecil), so that
/// a call inside a method body counts as much as a signature.
/// </summary>
public class NamespaceDependencyTests
{
    /// <summary>Every edge between two of Core's namespaces, with one place that makes it, for messages.</summary>
    internal static Dictionary<(string From, string To), string> Edges()
    {
        using var module = ModuleDefinition.ReadModule(typeof(ExitCodes).Assembly.Location);
        var edges = new Dictionary<(string, string), string>();
        foreach (var type in module.GetTypes())
        {
            var from = NamespaceOf(type);
            void Ref(TypeReference? t, string where)
            {
                foreach (var r in Flatten(t))
                {
                    if (r.Scope is AssemblyNameReference) continue;
                    var to = NamespaceOf(r);
                    if (to.Length == 0 || to == from) continue;
                    edges.TryAdd((from, to), $"{type.FullName}{where} -> {r.FullName}");
                }
            }
            Ref(type.BaseType, " (base)");
            foreach (var i in type.Interfaces) Ref(i.InterfaceType, " (interface)");
            foreach (var f in type.Fields) Ref(f.FieldType, $".{f.Name}");
            foreach (var p in type.Properties) Ref(p.PropertyType, $".{p.Name}");
            foreach (var m in type.Methods)
            {
                Ref(m.ReturnType, $".{m.Name}");
                foreach (var p in m.Parameters) Ref(p.ParameterType, $".{m.Name}");
                if (!m.HasBody) continue;
                foreach (var v in m.Body.Variables) Ref(v.VariableType, $".{m.Name}");
                foreach (var ins in m.Body.Instructions)
                {
                    switch (ins.Operand)
                    {
                        case TypeReference t: Ref(t, $".{m.Name}"); break;
                        case MethodReference mr:
                            Ref(mr.DeclaringType, $".{m.Name}");
                            Ref(mr.ReturnType, $".{m.Name}");
                            foreach (var p in mr.Parameters) Ref(p.ParameterType, $".{m.Name}");
                            if (mr is GenericInstanceMethod g) foreach (var a in g.GenericArguments) Ref(a, $".{m.Name}");
                            break;
                        case FieldReference fr:
                            Ref(fr.DeclaringType, $".{m.Name}");
                            Ref(fr.FieldType, $".{m.Name}");
                            break;
                    }
                }
            }
        }
        return edges;
    }

    /// <summary>A type and, for generic instances, arrays, pointers and by-refs, the types inside it.</summary>
    private static IEnumerable<TypeReference> Flatten(TypeReference? t)
    {
        if (t is null || t is GenericParameter) yield break;
        if (t is GenericInstanceType g)
        {
            foreach (var x in Flatten(g.ElementType)) yield return x;
            foreach (var a in g.GenericArguments)
                foreach (var x in Flatten(a)) yield return x;
            yield break;
        }
        if (t is TypeSpecification s)
        {
            foreach (var x in Flatten(s.ElementType)) yield return x;
            yield break;
        }
        yield return t;
    }

    /// <summary>
    /// The folder a type's code belongs to, as a namespace: Validate.Faults.Injectors is the Faults folder's.
    /// A nested type (closures, state machines) counts as its outermost declaring type's.
    /// </summary>
    private static string NamespaceOf(TypeReference t)
    {
        while (t.DeclaringType is not null) t = t.DeclaringType;
        var parts = t.Namespace.Split('.');
        return parts.Length > 2 && parts[0] == "Validate" ? $"{parts[0]}.{parts[1]}" : t.Namespace;
    }

    [Test]
    public void The_engine_folders_have_no_dependency_cycle()
    {
        var edges = Edges();
        var cycles = StronglyConnected(edges.Keys).Where(c => c.Count > 1).ToList();
        var text = cycles.Select(c => string.Join(" <-> ", c) + ":\n" + string.Join("\n",
            edges.Where(e => c.Contains(e.Key.From) && c.Contains(e.Key.To)).Select(e => $"  {e.Key.From} -> {e.Key.To}: {e.Value}")));
        Assert.That(cycles, Is.Empty, "namespaces that depend on each other:\n" + string.Join("\n", text));
    }

    [Test]
    public void The_root_namespace_and_interop_depend_on_no_other_folder()
    {
        var edges = Edges();
        var bottom = new[] { "Validate", "Validate.Interop" };
        var up = edges.Where(e => bottom.Contains(e.Key.From) && !bottom.Contains(e.Key.To)).Select(e => $"{e.Key.From} -> {e.Key.To}: {e.Value}").ToList();
        Assert.That(up, Is.Empty, "the root namespace (exit codes, errors) and Interop (libc) are what every folder stands on; they call up into none");
    }

    [Test]
    public void The_dependency_reader_sees_calls_inside_method_bodies()
    {
        // The reader can fail: the engine's suite layer calls into the devices from method bodies only.
        var edges = Edges();
        Assert.That(edges.Keys, Does.Contain(("Validate.Engine", "Validate.Devices")));
    }

    /// <summary>Tarjan's strongly connected components of the namespace graph.</summary>
    internal static List<List<string>> StronglyConnected(IEnumerable<(string From, string To)> edgeList)
    {
        var graph = new Dictionary<string, List<string>>();
        foreach (var (f, t) in edgeList)
        {
            if (!graph.TryGetValue(f, out var l)) graph[f] = l = [];
            l.Add(t);
            graph.TryAdd(t, []);
        }
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var on = new HashSet<string>();
        var result = new List<List<string>>();
        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            on.Add(v);
            foreach (var w in graph[v])
            {
                if (!index.TryGetValue(w, out var iw)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (on.Contains(w)) low[v] = Math.Min(low[v], iw);
            }
            if (low[v] != index[v]) return;
            var c = new List<string>();
            string x;
            do { x = stack.Pop(); on.Remove(x); c.Add(x); } while (x != v);
            c.Sort(StringComparer.Ordinal);
            result.Add(c);
        }
        foreach (var v in graph.Keys.ToList())
            if (!index.ContainsKey(v)) Visit(v);
        return result;
    }
}
