using KafkaOperator.Admin;
using KafkaOperator.Admin.Commands;

return await KafkaCtl.RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable(GlobalOptions.BootstrapVariable));
