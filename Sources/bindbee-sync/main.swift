import BindbeeCommands
import Foundation

exit(BindbeeCommand.main(Array(CommandLine.arguments.dropFirst())))
