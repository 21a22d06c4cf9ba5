Console.WriteLine("usage: --seeds N [--seed S]");
