from iamctl.cli.main import main

main()
