namespace KafkaOperator.Bench;

public static class Program
{
    public static int Main() => 1;
}
