using Xunit.Abstractions;
using Xunit.Sdk;

namespace KafkaOperator.Operator.Tests.Support;

/// <summary>The position of a test in a class ordered by <see cref="StepOrderer"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class StepAttribute(int order) : Attribute
{
    public int Order { get; } = order;
}

/// <summary>
/// Runs a class's tests by their <see cref="StepAttribute"/>, for tests that share one expensive fixture (a cluster
/// of broker processes) where the last one may change it for good (a scale-down). Each test still stands alone on a
/// fresh fixture, so a filtered run of one of them works.
/// </summary>
public sealed class StepOrderer : ITestCaseOrderer
{
    public const string TypeName = "KafkaOperator.Operator.Tests.Support.StepOrderer";
    public const string AssemblyName = "KafkaOperator.Operator.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => Order(t)).ThenBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);

    private static int Order(ITestCase testCase) =>
        testCase.TestMethod.Method.GetCustomAttributes(typeof(StepAttribute).AssemblyQualifiedName).FirstOrDefault()?.GetConstructorArguments().FirstOrDefault() is int order
            ? order
            : int.MaxValue;
}
