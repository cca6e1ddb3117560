from cruce.cli import main

main()
