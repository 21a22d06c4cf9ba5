Console.WriteLine("usage: <scenario>");
