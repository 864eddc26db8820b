namespace KafkaOperator.Operator;

public static class Program
{
    public static int Main() => 1;
}
