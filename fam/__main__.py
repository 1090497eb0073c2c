from fam.cli import main

main()
