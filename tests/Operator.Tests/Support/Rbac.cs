using KafkaOperator.Kube.Testing;
using YamlDotNet.RepresentationModel;

namespace KafkaOperator.Operator.Tests.Support;

/// <summary>The rules of config/rbac.yaml, and the RBAC attributes (group, resource, verb) of recorded API requests.</summary>
public static class Rbac
{
    public sealed record Rule(string Kind, IReadOnlySet<string> Groups, IReadOnlySet<string> Resources, IReadOnlySet<string> Verbs);

    public static List<Rule> LoadRules()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "rbac.yaml"))));
        var rules = new List<Rule>();
        foreach (var doc in stream.Documents)
        {
            var root = (YamlMappingNode)doc.RootNode;
            var kind = ((YamlScalarNode)root["kind"]).Value!;
            if (kind is not ("Role" or "ClusterRole"))
            {
                continue;
            }
            foreach (YamlMappingNode rule in ((YamlSequenceNode)root["rules"]).Children.Cast<YamlMappingNode>())
            {
                static HashSet<string> Set(YamlNode n) => ((YamlSequenceNode)n).Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToHashSet(StringComparer.Ordinal);
                rules.Add(new Rule(kind, Set(rule["apiGroups"]), Set(rule["resources"]), Set(rule["verbs"])));
            }
        }
        return rules;
    }

    /// <summary>(group, resource[/subresource], verb, namespace) of an API request, as the authorizer sees it.</summary>
    public static (string Group, string Resource, string Verb, string? Namespace)? Attributes(RecordedRequest r)
    {
        var parts = r.Path.Trim('/').Split('/');
        int i;
        string group;
        if (parts.Length >= 2 && parts[0] == "api")
        {
            group = "";
            i = 2;
        }
        else if (parts.Length >= 3 && parts[0] == "apis")
        {
            group = parts[1];
            i = 3;
        }
        else
        {
            return null;
        }
        string? ns = null;
        if (parts.Length > i + 1 && parts[i] == "namespaces")
        {
            ns = parts[i + 1];
            i += 2;
        }
        if (parts.Length <= i)
        {
            return null;
        }
        var resource = parts[i];
        var named = parts.Length > i + 1;
        if (parts.Length > i + 2)
        {
            resource += "/" + parts[i + 2];
        }
        var verb = r.Method switch
        {
            "GET" when !named && r.Query.Contains("watch=true", StringComparison.Ordinal) => "watch",
            "GET" when !named => "list",
            "GET" => "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => r.Method,
        };
        return (group, resource, verb, ns);
    }
}
